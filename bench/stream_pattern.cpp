#include "stream_pattern.h"

#include <array>
#include <cstring>

namespace sockspec::bench {

namespace {
constexpr std::uint64_t kWordBytes = 8;
}

StreamPattern StreamPattern::forConnection(std::size_t index) {
  // Fibonacci hashing's odd constant: seeds of neighbouring connections differ in most bits.
  return StreamPattern((static_cast<std::uint64_t>(index) + 1) * 0x9E3779B97F4A7C15ULL);
}

void StreamPattern::fill(net::MutableBytes out, std::uint64_t offset) const {
  std::size_t done = 0;
  // Head and tail byte by byte, whole words in between: bulk mode fills hundreds of MiB.
  while (done < out.size() && (offset + done) % kWordBytes != 0) {
    out[done] = byteAt(offset + done);
    ++done;
  }
  while (out.size() - done >= kWordBytes) {
    std::uint64_t word = ((offset + done) / kWordBytes) ^ m_seed;
    std::memcpy(out.data() + done, &word, sizeof(word));
    done += kWordBytes;
  }
  while (done < out.size()) {
    out[done] = byteAt(offset + done);
    ++done;
  }
}

std::uint8_t StreamPattern::byteAt(std::uint64_t offset) const {
  std::uint64_t word = (offset / kWordBytes) ^ m_seed;
  std::array<std::uint8_t, kWordBytes> bytes{};
  std::memcpy(bytes.data(), &word, sizeof(word));  // the same byte order fill() stores
  return bytes[offset % kWordBytes];
}

std::optional<std::size_t> StreamPattern::firstMismatch(net::Bytes received, std::uint64_t offset) const {
  std::array<std::uint8_t, 4096> expected{};
  for (std::size_t start = 0; start < received.size(); start += expected.size()) {
    std::size_t length = std::min(expected.size(), received.size() - start);
    fill(net::MutableBytes(expected.data(), length), offset + start);
    if (std::memcmp(expected.data(), received.data() + start, length) == 0) continue;
    for (std::size_t i = 0; i < length; ++i) {
      if (expected[i] != received[start + i]) return start + i;
    }
  }
  return std::nullopt;
}

}  // namespace sockspec::bench
