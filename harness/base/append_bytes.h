// appendBytes: out += bytes, for byte vectors that carry every reply byte of a connection (the framed codec,
// the fuzzers' model of what a server owes).
//
// memcpy rather than vector::insert: insert copies with memmove, and under AddressSanitizer memmove is
// compiler-rt's internal_memmove, a byte-at-a-time loop (asan_interceptors_memintrinsics.cpp), while memcpy
// goes to libc's. In the fuzz build that loop was the largest user-space cost of inputs that send 256 KiB;
// in an ordinary build the two are the same.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace sockspec {

inline void appendBytes(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  const std::size_t at = out.size();
  out.resize(at + bytes.size());  // grows geometrically, as insert does; never reserve() the exact size here
  std::memcpy(out.data() + at, bytes.data(), bytes.size());
}

}  // namespace sockspec
