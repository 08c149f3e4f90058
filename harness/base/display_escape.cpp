#include "base/display_escape.h"

#include <fmt/format.h>

namespace sockspec {

std::string escapeForDisplay(std::string_view text, std::size_t maxBytes) {
  std::string out;
  std::size_t shown = std::min(text.size(), maxBytes);
  out.reserve(shown + 8);
  for (std::size_t i = 0; i < shown; ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    switch (byte) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\\': out += "\\\\"; break;
      default:
        if (byte >= 0x20 && byte < 0x7f) {
          out += static_cast<char>(byte);
        } else {
          out += fmt::format("\\x{:02x}", byte);
        }
    }
  }
  if (shown < text.size()) out += "...";
  return out;
}

}  // namespace sockspec
