// EpollSet: an owned epoll(7) instance. Level-triggered registration of fds with a 64-bit tag, and a wait
// bounded by a timeout. Results carry errno like the rest of the socket layer.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <span>

#include "base/sys_error.h"
#include "net/unique_fd.h"

namespace sockspec::net {

class EpollSet {
 public:
  // epoll_create1(EPOLL_CLOEXEC).
  static Result<EpollSet> create();

  Result<void> add(int fd, std::uint32_t events, std::uint64_t tag);
  Result<void> modify(int fd, std::uint32_t events, std::uint64_t tag);
  // Removing an fd that is about to be closed is optional (close removes it), but keeps the set exact.
  Result<void> remove(int fd);

  // epoll_wait(2) for at most `timeoutMs` (never -1 from sockspec code: pass a Deadline's pollTimeoutMs()).
  // EINTR comes back as zero events, so that a signal handler's flag is looked at promptly.
  Result<std::size_t> wait(std::span<epoll_event> events, int timeoutMs);

  int fd() const { return m_fd.get(); }

 private:
  explicit EpollSet(UniqueFd fd) : m_fd(std::move(fd)) {}
  UniqueFd m_fd;
};

}  // namespace sockspec::net
