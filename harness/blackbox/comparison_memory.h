// Input-to-state substitution for grey-box fuzzing (REDQUEEN's idea, Aschermann et al., NDSS 2019): the
// operands of the comparisons a server failed while it handled an input (server_coverage.h) are remembered
// for that input, and a mutation of the input finds one operand's bytes in it and writes the other's in
// their place. A magic value checked with memcmp, a key compared 4 bytes at a time, a length field checked
// against a constant: each passes in one mutation once the input reaches the comparison, where libFuzzer's
// table of recent comparisons (libfuzzer_feed.h) holds only what the last inputs compared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "blackbox/server_coverage.h"

namespace sockspec::blackbox {

class ComparisonMemory {
 public:
  static constexpr std::size_t kInputs = 4096;        // inputs remembered, the oldest forgotten first
  static constexpr std::size_t kPerInput = 64;        // comparisons kept per input (distinct ones)

  // What the server failed to match while it handled `input` (the first kPerInput distinct ones).
  void remember(const std::uint8_t* input, std::size_t size, const std::vector<ServerComparison>& comparisons);
  // Writes one remembered comparison's other operand over its first operand's bytes where they occur in
  // `data` (either operand may be the input's: both ways are tried; integers in either byte order); the
  // choice is `seed`'s. Returns the new size (the same: operands are the same width), or 0 when nothing
  // remembered for this input occurs in it.
  std::size_t substitute(std::uint8_t* data, std::size_t size, unsigned int seed) const;
  std::size_t inputs() const { return m_order.size(); }

 private:
  struct Operands {
    std::vector<std::uint8_t> a;
    std::vector<std::uint8_t> b;
    bool operator==(const Operands&) const = default;
  };
  std::unordered_map<std::uint64_t, std::vector<Operands>> m_byInput;  // by the input's hash
  std::deque<std::uint64_t> m_order;
};

}  // namespace sockspec::blackbox
