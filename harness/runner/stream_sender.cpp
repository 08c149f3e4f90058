#include "runner/stream_sender.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

namespace sockspec::runner {

SendAll sendAll(int fd, std::string_view bytes, Deadline deadline, bool waitForRoom) {
  SendAll result;
  // Bounded by the size of `bytes` and the deadline: every pass sends a byte or waits for the time left.
  while (result.sent < bytes.size()) {
    ssize_t n =
        ::send(fd, bytes.data() + result.sent, bytes.size() - result.sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      result.sent += static_cast<std::size_t>(n);
      continue;
    }
    const int err = errno;
    if (n < 0 && err == EINTR) continue;
    if (n < 0 && (err == EAGAIN || err == EWOULDBLOCK)) {
      pollfd entry{fd, POLLOUT, 0};
      if (waitForRoom && ::poll(&entry, 1, deadline.pollTimeoutMs()) > 0) continue;
      if (waitForRoom && errno == EINTR && !deadline.expired()) continue;
      result.error = EAGAIN;
      return result;
    }
    result.error = n < 0 ? err : EIO;  // send(2) returns 0 only for an empty buffer, which is not asked for
    return result;
  }
  return result;
}

}  // namespace sockspec::runner
