#include "byte_trigger.h"

namespace sockspec::server {

std::optional<std::ptrdiff_t> findTrigger(const std::uint8_t (&trigger)[2], int previousByte,
                                          std::string_view bytes) {
  int before = previousByte;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    int current = static_cast<std::uint8_t>(bytes[i]);
    if (before == trigger[0] && current == trigger[1]) return static_cast<std::ptrdiff_t>(i) - 1;
    before = current;
  }
  return std::nullopt;
}

}  // namespace sockspec::server
