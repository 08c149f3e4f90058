#include "daytime_text.h"

#include <array>

namespace sockspec::server {

std::string daytimeText(std::time_t when) {
  std::tm utc{};
  ::gmtime_r(&when, &utc);
  std::array<char, 96> text{};
  std::size_t length = std::strftime(text.data(), text.size(), "%A, %B %d, %Y %H:%M:%S-UTC\r\n", &utc);
  return std::string(text.data(), length);
}

}  // namespace sockspec::server
