// Payloads the checks send: deterministic, different per client (seed) and per offset, covering every byte
// value, so that an echo that drops, duplicates, reorders or mixes up bytes shows at the first wrong one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sockspec::suites {

// The byte at `offset` of the stream with this seed.
std::uint8_t payloadByte(std::uint64_t seed, std::uint64_t offset);
// `size` bytes of that stream, starting at `offset`.
std::vector<std::uint8_t> makePayload(std::uint64_t seed, std::size_t size, std::uint64_t offset = 0);
// Fills `out` with the stream's bytes from `offset`.
void fillPayload(std::uint64_t seed, std::uint64_t offset, std::span<std::uint8_t> out);
// Every byte value 0..255 ascending, then descending, then in a shuffled order: 768 bytes.
std::vector<std::uint8_t> everyByteValue();

// Where `got` first differs from `expected` (compared up to the shorter length):
// "byte 1234: expected 0x41, got 0x00"; nullopt when they agree that far.
std::optional<std::string> firstDifference(std::span<const std::uint8_t> expected, std::span<const std::uint8_t> got,
                                           std::uint64_t baseOffset = 0);

// Checks an echoed stream against payloadByte(seed, ...) as it arrives, without keeping it.
class PayloadVerifier {
 public:
  explicit PayloadVerifier(std::uint64_t seed) : m_seed(seed) {}
  // Compares the next bytes; remembers the first difference.
  void feed(std::span<const std::uint8_t> bytes);
  std::uint64_t received() const { return m_received; }
  const std::optional<std::string>& difference() const { return m_difference; }

 private:
  std::uint64_t m_seed;
  std::uint64_t m_received = 0;
  std::optional<std::string> m_difference;
};

}  // namespace sockspec::suites
