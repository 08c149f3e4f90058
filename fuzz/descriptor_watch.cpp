#include "descriptor_watch.h"

#include <poll.h>

#include <array>
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

std::bitset<DescriptorWatch::kWindow> DescriptorWatch::openInWindow() const {
  std::array<pollfd, kWindow> entries{};
  for (std::size_t i = 0; i < kWindow; ++i) entries[i] = pollfd{m_first + static_cast<int>(i), 0, 0};
  // A zero timeout never blocks; EINTR can only come from a signal, so a few tries are plenty.
  int ready = -1;
  for (int attempt = 0; attempt < 3 && ready < 0; ++attempt) {
    ready = ::poll(entries.data(), entries.size(), 0);
    if (ready < 0 && errno != EINTR) break;
  }
  if (ready < 0) checkFailed(m_target, fmt::format("descriptor check: poll: {}", errnoName(errno)));
  std::bitset<kWindow> open;
  for (std::size_t i = 0; i < kWindow; ++i) open[i] = (entries[i].revents & POLLNVAL) == 0;
  return open;
}

void DescriptorWatch::startInputAt(int firstDescriptor) {
  m_first = firstDescriptor;
  m_openAtStart = openInWindow();
  m_openAtStart.reset(0);  // the input's own first descriptor: it must be closed by the end
}

void DescriptorWatch::checkNoLeak(std::string_view afterWhat) {
  if (m_first < 0) checkFailed(m_target, "descriptor check: checkNoLeak() without startInputAt()");
  std::bitset<kWindow> leaked = openInWindow() & ~m_openAtStart;
  if (leaked.none()) return;
  std::size_t first = 0;
  while (!leaked[first]) ++first;
  int fd = m_first + static_cast<int>(first);
  checkFailed(m_target, fmt::format("descriptor leak after {}: {} descriptor(s) opened during it are still open, "
                                    "the first is {} ({}); {} descriptors open now",
                                    afterWhat, leaked.count(), fd, describeDescriptor(fd), countOpenDescriptors()));
}

}  // namespace sockspec::fuzz
