#include "descriptor_watch.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include "base/errno_names.h"
#include "check_failure.h"

namespace sockspec::fuzz {

namespace {

std::size_t countOpenDescriptors() {
  std::error_code error;
  std::size_t count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
       it.increment(error)) {
    ++count;
  }
  return count;  // includes the directory's own descriptor while it is being read
}

// What /proc says descriptor `fd` is ("socket:[123]", "/dev/null"), to name a leaked descriptor.
std::string describeDescriptor(int fd) {
  std::error_code error;
  auto target = std::filesystem::read_symlink(fmt::format("/proc/self/fd/{}", fd), error);
  return error ? std::string("?") : target.string();
}

}  // namespace

DescriptorWatch::DescriptorWatch(std::string_view target)
    : m_target(target), m_source(::open("/dev/null", O_RDONLY | O_CLOEXEC)) {
  if (!m_source) setupFailed(target, fmt::format("open /dev/null: {}", errnoName(errno)));
}

int DescriptorWatch::lowestFreeDescriptor() const {
  int probe = ::fcntl(m_source.get(), F_DUPFD_CLOEXEC, 0);
  if (probe < 0) checkFailed(m_target, fmt::format("descriptor probe: fcntl(F_DUPFD_CLOEXEC): {}", errnoName(errno)));
  ::close(probe);
  return probe;
}

void DescriptorWatch::startInput() { m_atStart = lowestFreeDescriptor(); }

void DescriptorWatch::checkNoLeak(std::string_view afterWhat) {
  int lowest = lowestFreeDescriptor();
  if (m_atStart >= 0 && lowest > m_atStart) {
    checkFailed(m_target, fmt::format("descriptor leak after {}: the lowest free descriptor is {}, it was {} before "
                                      "it ({} descriptors open now; descriptor {} is {})",
                                      afterWhat, lowest, m_atStart, countOpenDescriptors(), m_atStart,
                                      describeDescriptor(m_atStart)));
  }
}

}  // namespace sockspec::fuzz
