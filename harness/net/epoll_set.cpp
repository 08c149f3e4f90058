#include "net/epoll_set.h"

#include <algorithm>
#include <cerrno>

namespace sockspec::net {

Result<EpollSet> EpollSet::create(std::size_t maxEventsPerWait) {
  int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return lastError("epoll_create1");
  return EpollSet(UniqueFd(fd), std::max<std::size_t>(maxEventsPerWait, 1));
}

namespace {
Result<void> control(int epollFd, int op, int fd, std::uint32_t events, std::uint64_t tag) {
  epoll_event event{};
  event.events = events;
  event.data.u64 = tag;
  if (::epoll_ctl(epollFd, op, fd, &event) < 0) return lastError("epoll_ctl");
  return {};
}
}  // namespace

Result<void> EpollSet::add(int fd, std::uint32_t events, std::uint64_t tag) {
  return control(m_fd.get(), EPOLL_CTL_ADD, fd, events, tag);
}

Result<void> EpollSet::modify(int fd, std::uint32_t events, std::uint64_t tag) {
  return control(m_fd.get(), EPOLL_CTL_MOD, fd, events, tag);
}

Result<void> EpollSet::remove(int fd) { return control(m_fd.get(), EPOLL_CTL_DEL, fd, 0, 0); }

Result<std::size_t> EpollSet::wait(std::span<epoll_event> events, int timeoutMs) {
  int n = ::epoll_wait(m_fd.get(), events.data(), static_cast<int>(events.size()), timeoutMs);
  if (n < 0) {
    if (errno == EINTR) return std::size_t{0};
    return lastError("epoll_wait");
  }
  return static_cast<std::size_t>(n);
}

}  // namespace sockspec::net

namespace sockspec::net {

Result<std::span<const epoll_event>> EpollSet::wait(Deadline deadline) {
  auto ready = wait(std::span<epoll_event>(m_events), deadline.pollTimeoutMs());
  if (!ready) return Unexpected{ready.error()};
  return std::span<const epoll_event>(m_events.data(), *ready);
}

}  // namespace sockspec::net
