#include "net/readiness.h"

#include <cerrno>

namespace sockspec::net {

Result<Readiness> waitFor(int fd, short events, Deadline deadline) {
  // Bounded: each pass either returns or consumes time toward the deadline (EINTR only).
  for (;;) {
    pollfd entry{fd, events, 0};
    int rc = ::poll(&entry, 1, deadline.pollTimeoutMs());
    if (rc > 0) return Readiness::Ready;
    if (rc == 0) return Readiness::TimedOut;
    if (errno != EINTR) return lastError("poll");
    if (deadline.expired()) return Readiness::TimedOut;
  }
}

}  // namespace sockspec::net
