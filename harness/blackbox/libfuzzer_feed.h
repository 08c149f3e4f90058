// The server's failed comparisons (server_coverage.h) handed to libFuzzer's mutator as if its own
// instrumentation had seen them in this process (compiler-rt FuzzerTracePC.cpp): integer pairs through
// __sanitizer_cov_trace_cmp2/4/8, into its tables of recent compares, from which its CMP mutation replaces
// the bytes of one operand in the input with the other's; byte pairs through __sanitizer_weak_hook_memcmp,
// into its table of recent memcmp words. With -use_value_profile=1 each also counts how close the pair came.
// Only for a program that links libFuzzer, and only from within libFuzzer's callback (the memcmp hook
// records nothing outside it).
#pragma once

#include <vector>

#include "blackbox/server_coverage.h"

namespace sockspec::blackbox {

void feedComparisonsToLibFuzzer(const std::vector<ServerComparison>& comparisons);

}  // namespace sockspec::blackbox
