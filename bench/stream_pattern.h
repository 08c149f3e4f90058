// StreamPattern: the bytes a load connection sends, computable at any offset, so that every echoed byte is
// checked against what was sent without keeping a copy. Each 8-byte word holds its own index XOR a
// per-connection seed: a lost, repeated or reordered chunk and a byte from another connection all mismatch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "net/socket_ops.h"

namespace sockspec::bench {

class StreamPattern {
 public:
  // A distinct pattern per connection index.
  static StreamPattern forConnection(std::size_t index);
  explicit StreamPattern(std::uint64_t seed) : m_seed(seed) {}

  // Writes the pattern's bytes [offset, offset + out.size()) into `out`.
  void fill(net::MutableBytes out, std::uint64_t offset) const;
  std::uint8_t byteAt(std::uint64_t offset) const;

  // Index into `received` of the first byte that differs from the pattern at `offset`; nullopt if all match.
  std::optional<std::size_t> firstMismatch(net::Bytes received, std::uint64_t offset) const;

 private:
  std::uint64_t m_seed;
};

}  // namespace sockspec::bench
