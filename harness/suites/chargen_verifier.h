// The RFC 864 character generator pattern, as a client checks it: lines of 72 printable ASCII characters
// (the 95 characters 0x20..0x7e taken as a ring), each line starting one character further on, each ended
// by CR LF; the whole repeats every 95 lines. RFC 864 only recommends this pattern ("The data may be
// anything"), so a departure from it is a note, never a failure (chargen_description.h).
//
// Written apart from the reference server's generator (targets/server/chargen_pattern.h) on purpose: this is
// the oracle that checks it, so a mistake in one is caught by the other instead of being shared.
// docs/architecture.md lists where else an oracle is kept independent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace sockspec::suites {

inline constexpr std::size_t kChargenLineBytes = 74;  // 72 characters + CR LF
inline constexpr std::size_t kChargenCycleBytes = 95 * kChargenLineBytes;

// The pattern's byte at `position` of its cycle (any position: taken modulo the cycle).
char chargenByte(std::uint64_t position);

// Where in the cycle `bytes` (at least one full line of them) sits, if it is a run of the pattern at all.
std::optional<std::size_t> findChargenPhase(std::span<const std::uint8_t> bytes);

// Checks a chargen stream as it arrives: the first full line fixes where in the cycle the server started
// (any line, any column), then every further byte must follow.
class ChargenVerifier {
 public:
  void feed(std::span<const std::uint8_t> bytes);
  std::uint64_t received() const { return m_received; }
  // "byte 1234 (line 17, column 61): expected 'a', got '\x00'"; nullopt while the pattern holds.
  const std::optional<std::string>& problem() const { return m_problem; }
  // The stream offset the problem is at: 0 when even the first line is not the pattern.
  std::uint64_t problemOffset() const { return m_problemOffset; }

 private:
  void verify(std::span<const std::uint8_t> bytes);

  std::string m_head;                 // the first bytes, until the phase is known
  std::optional<std::uint64_t> m_phase;  // position in the cycle of the stream's first byte
  std::uint64_t m_received = 0;
  std::uint64_t m_verified = 0;
  std::optional<std::string> m_problem;
  std::uint64_t m_problemOffset = 0;
};

// RFC 864 (UDP): "an answering datagram containing a random number (between 0 and 512) of characters".
inline constexpr std::size_t kMaxDatagramCharacters = 512;

}  // namespace sockspec::suites
