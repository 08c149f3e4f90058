// How the reference-server fuzzers report a broken promise: one line on stderr naming the fuzz target and
// what was expected and seen, then abort(), which libFuzzer reports as a crash (and saves the input) and
// which fails the replay test under CTest. No exceptions cross the fuzz entry points.
#pragma once

#include <string_view>

namespace sockspec::fuzz {

// "server_stream: check failed: framed reply 3: ..." then abort().
[[noreturn]] void checkFailed(std::string_view target, std::string_view message);

// For set-up that cannot go on (a server that will not start): one line, then exit 3 (docs/exit-codes.md).
[[noreturn]] void setupFailed(std::string_view target, std::string_view message);

}  // namespace sockspec::fuzz
