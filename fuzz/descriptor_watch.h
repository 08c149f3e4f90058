// DescriptorWatch: catches a descriptor leaked by an input. The lowest free descriptor number (what the
// next dup() gets, POSIX "lowest-numbered available") rises by one with every descriptor left open, so
// comparing it after each input with its value after the first is a two-syscall leak check; /proc/self/fd
// is counted only to explain a failure.
#pragma once

#include <string_view>

#include "net/unique_fd.h"

namespace sockspec::fuzz {

class DescriptorWatch {
 public:
  explicit DescriptorWatch(std::string_view target);
  // The first call takes the baseline (after the servers and libFuzzer have their descriptors); each later
  // call fails the check when the lowest free descriptor is above it.
  void checkNoLeak(std::string_view afterWhat);

 private:
  int lowestFreeDescriptor() const;
  std::string_view m_target;
  net::UniqueFd m_source;  // /dev/null, the descriptor dup()ed to probe
  int m_baseline = -1;
};

}  // namespace sockspec::fuzz
