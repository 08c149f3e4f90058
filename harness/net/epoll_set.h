// EpollSet: an owned epoll(7) instance. Level-triggered registration of fds with a 64-bit tag, and a wait
// bounded by a timeout. Results carry errno like the rest of the socket layer.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <span>
#include <vector>

#include "base/deadline.h"
#include "base/sys_error.h"
#include "net/unique_fd.h"

namespace sockspec::net {

class EpollSet {
 public:
  // epoll_create1(EPOLL_CLOEXEC), with room for `maxEventsPerWait` events in wait(Deadline).
  static Result<EpollSet> create(std::size_t maxEventsPerWait = 256);

  Result<void> add(int fd, std::uint32_t events, std::uint64_t tag);
  Result<void> modify(int fd, std::uint32_t events, std::uint64_t tag);
  // Removing an fd that is about to be closed is optional (close removes it), but keeps the set exact.
  Result<void> remove(int fd);

  // epoll_wait(2) for at most `timeoutMs` (never -1 from sockspec code: pass a Deadline's pollTimeoutMs()).
  // EINTR comes back as zero events, so that a signal handler's flag is looked at promptly.
  Result<std::size_t> wait(std::span<epoll_event> events, int timeoutMs);
  // The same into the set's own buffer, until `deadline`: the ready events (none once it passes).
  Result<std::span<const epoll_event>> wait(Deadline deadline);

  int fd() const { return m_fd.get(); }

 private:
  EpollSet(UniqueFd fd, std::size_t maxEvents) : m_fd(std::move(fd)), m_events(maxEvents) {}
  UniqueFd m_fd;
  std::vector<epoll_event> m_events;
};

}  // namespace sockspec::net
