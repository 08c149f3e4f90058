// DescriptorWatch: catches a descriptor leaked by an input. The lowest free descriptor number (what the
// next dup() gets, POSIX "lowest-numbered available") rises by one with every descriptor left open, so
// comparing it before and after each input is a four-syscall leak check; /proc/self/fd is read only to
// explain a failure. Before and after each input, not against the first input: the fuzzing runtime may
// open descriptors of its own between inputs (the sanitizers start llvm-symbolizer with two pipes the
// first time libFuzzer prints a NEW_FUNC line, and keep them).
#pragma once

#include <string_view>

#include "net/unique_fd.h"

namespace sockspec::fuzz {

class DescriptorWatch {
 public:
  explicit DescriptorWatch(std::string_view target);
  // Call before the input runs.
  void startInput();
  // The same, when the input's first descriptor is at hand: whatever socket(2) or open(2) returned first is
  // the lowest free descriptor at the time (POSIX), so no probe is needed.
  void startInputAt(int firstDescriptor) { m_atStart = firstDescriptor; }
  // Fails the check when the lowest free descriptor is above what it was at startInput().
  void checkNoLeak(std::string_view afterWhat);

 private:
  int lowestFreeDescriptor() const;
  std::string_view m_target;
  net::UniqueFd m_source;  // /dev/null, the descriptor dup()ed to probe
  int m_atStart = -1;
};

}  // namespace sockspec::fuzz
