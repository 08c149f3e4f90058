// What a chargen server sends, in words for a passing check's note. RFC 864 requires only that data keeps
// coming ("The data may be anything"); the 72-column rotating pattern is a recommendation, so a different one
// is reported, never failed. xinetd 2.3.15, for one, rotates through the 93 characters '!' to '}' (no space,
// no '~'), and its line starts repeat two characters every 93 lines.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "suites/chargen_verifier.h"

namespace sockspec::suites {

// "a cycle of 93 characters ('!' to '}'), 72 per line and CR LF" when the complete lines of `sample` have one
// length and each is a run of one ring of characters (the distinct characters in byte order), and there are
// enough of them to have gone round it; "lines of 72 characters and CR LF, each a run of the 75 characters
// seen ('!' to '}')" when there are fewer;
// "lines of 80 characters and CR LF over 60 distinct characters" when only the lengths agree; otherwise
// "17 distinct byte values, starting \"...\"".
std::string describeChargenBytes(std::span<const std::uint8_t> sample);

// Follows a stream with the recommended pattern's verifier and keeps its first bytes, to say what came instead.
class ChargenObserver {
 public:
  void feed(std::span<const std::uint8_t> bytes);
  std::uint64_t received() const { return m_verifier.received(); }
  // Nullopt while everything so far is the recommended pattern; otherwise "not the recommended 72-column
  // rotating pattern: a cycle of 93 characters ('!' to '}'), 72 per line and CR LF", and where it left the
  // recommended pattern if it started as it.
  std::optional<std::string> note() const;

 private:
  static constexpr std::size_t kSampleBytes = 16 * 1024;
  ChargenVerifier m_verifier;
  std::string m_sample;
};

// The note for one datagram reply (RFC 864 allows 0 to 512 characters, anything): nullopt when it is empty
// or a run of the recommended pattern.
std::optional<std::string> chargenDatagramNote(std::span<const std::uint8_t> reply);

}  // namespace sockspec::suites
