#include "net/readiness.h"

#include <cerrno>

namespace sockspec::net {

Result<short> pollEvents(int fd, short events, Deadline deadline) {
  // Bounded: each pass either returns or consumes time toward the deadline (EINTR only).
  for (;;) {
    pollfd entry{fd, events, 0};
    int rc = ::poll(&entry, 1, deadline.pollTimeoutMs());
    if (rc > 0) return entry.revents;
    if (rc == 0) return static_cast<short>(0);
    if (errno != EINTR) return lastError("poll");
    if (deadline.expired()) return static_cast<short>(0);
  }
}

Result<Readiness> waitFor(int fd, short events, Deadline deadline) {
  auto revents = pollEvents(fd, events, deadline);
  if (!revents) return Unexpected{revents.error()};
  return *revents != 0 ? Readiness::Ready : Readiness::TimedOut;
}

}  // namespace sockspec::net
