// The RFC 864 character generator pattern: lines of 72 printable ASCII characters, each starting one
// character further along the 95-character printable set, ended by CR LF. It repeats every 95 lines.
// The chargen suite's verifier (harness/suites/chargen_verifier.h) is written apart from this on purpose:
// it is the oracle that checks this generator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sockspec::server {

inline constexpr std::size_t kChargenLineLength = 74;  // 72 characters + CR LF
inline constexpr std::size_t kChargenCycleBytes = 95 * kChargenLineLength;

// Up to `maxBytes` contiguous bytes of the endless pattern, starting at `position` (any offset: it is taken
// modulo the cycle). The view stays valid for the program's life. At most 64 KiB per call.
std::string_view chargenBytes(std::uint64_t position, std::size_t maxBytes);

}  // namespace sockspec::server
