// The two-byte triggers of the crash-on-bytes and hang-on-bytes faults: a fixed pair of bytes seen anywhere
// in a connection's stream, also when a read boundary falls between them. They give the black-box fuzzer
// (`sockspec fuzz`, docs/fuzzing-black-box.md) a known bug to find.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sockspec::server {

inline constexpr std::uint8_t kCrashTrigger[2] = {0xDE, 0xAD};  // crash-on-bytes: abort()
inline constexpr std::uint8_t kHangTrigger[2] = {0xBE, 0xEF};   // hang-on-bytes: the connection freezes

// The offset in `bytes` of the trigger's first byte, or -1 when it is the last byte of the previous read
// (`previousByte`, -1 when none); nullopt when the pair is not there.
std::optional<std::ptrdiff_t> findTrigger(const std::uint8_t (&trigger)[2], int previousByte,
                                          std::string_view bytes);

}  // namespace sockspec::server
