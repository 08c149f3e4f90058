#include "blackbox/libfuzzer_feed.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>

// libFuzzer's own hooks (compiler-rt FuzzerTracePC.cpp), defined in every libFuzzer archive.
extern "C" void __sanitizer_cov_trace_cmp2(std::uint16_t arg1, std::uint16_t arg2);
extern "C" void __sanitizer_cov_trace_cmp4(std::uint32_t arg1, std::uint32_t arg2);
extern "C" void __sanitizer_cov_trace_cmp8(std::uint64_t arg1, std::uint64_t arg2);
extern "C" void __sanitizer_weak_hook_memcmp(void* callerPc, const void* s1, const void* s2, std::size_t n,
                                             int result);

namespace sockspec::blackbox {

namespace {

// libFuzzer's integer hooks take the comparison's place from their return address, and its value profile
// keys how close a pair came by that place: a comparison that gets closer is a new feature only against
// others of the same place. So each hook is called from one of kPlaces functions of its own, chosen by the
// server's comparison site: comparisons at different sites mostly keep apart (the memcmp hook is given the
// site itself).
constexpr std::size_t kPlaces = 64;  // the top 6 bits of a 32-bit hash

template <std::size_t Place>
__attribute__((noinline)) void compareAt(std::uint32_t size, std::uint64_t arg1, std::uint64_t arg2) {
  if (size == 2) {
    __sanitizer_cov_trace_cmp2(static_cast<std::uint16_t>(arg1), static_cast<std::uint16_t>(arg2));
  } else if (size == 4) {
    __sanitizer_cov_trace_cmp4(static_cast<std::uint32_t>(arg1), static_cast<std::uint32_t>(arg2));
  } else {
    __sanitizer_cov_trace_cmp8(arg1, arg2);
  }
  // Not a tail call: the hook's return address must stay in this function.
  asm volatile("" ::: "memory");
}

template <std::size_t... Places>
constexpr auto placeTable(std::index_sequence<Places...>) {
  return std::array<void (*)(std::uint32_t, std::uint64_t, std::uint64_t), sizeof...(Places)>{
      &compareAt<Places>...};
}

constexpr auto kCompareAt = placeTable(std::make_index_sequence<kPlaces>());

}  // namespace

void feedComparisonsToLibFuzzer(const std::vector<ServerComparison>& comparisons) {
  for (const auto& comparison : comparisons) {
    if (comparison.bytes) {
      void* site = reinterpret_cast<void*>(static_cast<std::uintptr_t>(comparison.site));
      __sanitizer_weak_hook_memcmp(site, comparison.bytes1.data(), comparison.bytes2.data(), comparison.bytes1.size(),
                                   1);
    } else {
      // The site's bits mixed (Fibonacci hashing), so that nearby sites spread over the places.
      kCompareAt[(comparison.site * 2654435761u) >> 26](comparison.size, comparison.arg1, comparison.arg2);
    }
  }
}

}  // namespace sockspec::blackbox
