#include "suites/payloads.h"

#include <algorithm>

#include <fmt/format.h>

namespace sockspec::suites {

std::uint8_t payloadByte(std::uint64_t seed, std::uint64_t offset) {
  // splitmix64 of (seed, offset): cheap, and no short period that a dropped block could hide in.
  std::uint64_t z = offset + seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return static_cast<std::uint8_t>((z ^ (z >> 31)) & 0xFFu);
}

void fillPayload(std::uint64_t seed, std::uint64_t offset, std::span<std::uint8_t> out) {
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = payloadByte(seed, offset + i);
}

std::vector<std::uint8_t> makePayload(std::uint64_t seed, std::size_t size, std::uint64_t offset) {
  std::vector<std::uint8_t> bytes(size);
  fillPayload(seed, offset, bytes);
  return bytes;
}

std::vector<std::uint8_t> everyByteValue() {
  std::vector<std::uint8_t> all;
  all.reserve(3 * 256);
  for (unsigned i = 0; i < 256; ++i) all.push_back(static_cast<std::uint8_t>(i));
  for (unsigned i = 256; i-- > 0;) all.push_back(static_cast<std::uint8_t>(i));
  // A fixed permutation (multiplying by an odd number is a bijection mod 256), so NUL, CR, LF, 0x7f and
  // 0xff also appear next to unrelated neighbours.
  for (unsigned i = 0; i < 256; ++i) all.push_back(static_cast<std::uint8_t>((i * 167u + 13u) & 0xFFu));
  return all;
}

std::optional<std::string> firstDifference(std::span<const std::uint8_t> expected, std::span<const std::uint8_t> got,
                                           std::uint64_t baseOffset) {
  std::size_t common = std::min(expected.size(), got.size());
  auto [wanted, seen] = std::mismatch(expected.begin(), expected.begin() + static_cast<std::ptrdiff_t>(common),
                                      got.begin());
  if (wanted == expected.begin() + static_cast<std::ptrdiff_t>(common)) return std::nullopt;
  auto index = static_cast<std::uint64_t>(wanted - expected.begin());
  return fmt::format("byte {}: expected 0x{:02x}, got 0x{:02x}", baseOffset + index, *wanted, *seen);
}

void PayloadVerifier::feed(std::span<const std::uint8_t> bytes) {
  if (!m_difference) {
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      std::uint8_t wanted = payloadByte(m_seed, m_received + i);
      if (bytes[i] != wanted) {
        m_difference = fmt::format("byte {}: expected 0x{:02x}, got 0x{:02x}", m_received + i, wanted, bytes[i]);
        break;
      }
    }
  }
  m_received += bytes.size();
}

}  // namespace sockspec::suites
