// DescriptorWatch: catches a descriptor left open by an input. A new descriptor always gets the lowest free
// number (POSIX open(2), socket(2), accept(2): "the lowest-numbered file descriptor not currently open"), so
// whatever an input opens lands on its first descriptor (the client's socket, the lowest free number when the
// input began) or on the next free numbers above it: the server's accepted socket is the one after. poll(2)
// with no events asked and a zero timeout answers POLLNVAL for each number that is not open, so one poll over
// the kWindow numbers from the first descriptor on, taken when the input begins and again when it is over,
// tells exactly which descriptors the input left open. /proc/self/fd is read only to name a leaked one.
// Before and after each input, not against the first input: the fuzzing runtime may open descriptors of its
// own between inputs (the sanitizers start llvm-symbolizer with two pipes the first time libFuzzer prints a
// NEW_FUNC line, and keep them).
//
// Not the lowest free number alone, as this once was: after the client's socket (the lowest) is closed, the
// lowest free number is back where it was however many descriptors above it the server leaked.
#pragma once

#include <bitset>
#include <cstddef>
#include <string_view>

namespace sockspec::fuzz {

class DescriptorWatch {
 public:
  // Descriptors checked from the input's first one on: an input opens two (the client's socket and the
  // server's accepted one); descriptors an input opens beyond the first kWindow numbers are not checked.
  static constexpr std::size_t kWindow = 16;

  explicit DescriptorWatch(std::string_view target) : m_target(target) {}
  // Call as soon as the input's first descriptor is open (the client's socket, before it connects), with
  // its number: the window starts there. That descriptor itself must be closed by the end of the input.
  void startInputAt(int firstDescriptor);
  // Fails the check when a descriptor in the window is open now that was not open at startInputAt().
  void checkNoLeak(std::string_view afterWhat);

 private:
  std::bitset<kWindow> openInWindow() const;
  std::string_view m_target;
  int m_first = -1;
  std::bitset<kWindow> m_openAtStart;
};

}  // namespace sockspec::fuzz
