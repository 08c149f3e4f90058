#include "chargen_pattern.h"

#include <algorithm>
#include <string>

namespace sockspec::server {

namespace {

constexpr std::size_t kMaxSlice = 64 * 1024;

// One whole cycle followed by enough of the next that any slice of up to kMaxSlice bytes is contiguous.
const std::string& patternBuffer() {
  static const std::string buffer = [] {
    std::string text;
    text.reserve(kChargenCycleBytes + kMaxSlice + kChargenCycleBytes);
    for (std::size_t line = 0; text.size() < kChargenCycleBytes + kMaxSlice; ++line) {
      for (std::size_t column = 0; column < 72; ++column) {
        text += static_cast<char>(' ' + (line + column) % 95);
      }
      text += "\r\n";
    }
    return text;
  }();
  return buffer;
}

}  // namespace

std::string_view chargenBytes(std::uint64_t position, std::size_t maxBytes) {
  const std::string& buffer = patternBuffer();
  auto start = static_cast<std::size_t>(position % kChargenCycleBytes);
  return std::string_view(buffer).substr(start, std::min(maxBytes, kMaxSlice));
}

}  // namespace sockspec::server
