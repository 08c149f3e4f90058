// Bounded waits for a socket to become readable or writable: poll(2) with a Deadline, never forever.
#pragma once

#include <poll.h>

#include "base/deadline.h"
#include "base/sys_error.h"

namespace sockspec::net {

enum class Readiness { Ready, TimedOut };

// Waits until `fd` reports any of `events` (POLLIN, POLLOUT) or an error/hang-up, or the deadline passes.
// EINTR is retried within the same deadline.
Result<Readiness> waitFor(int fd, short events, Deadline deadline);

// The same wait, returning poll(2)'s revents (0 when the deadline passed): a caller that tells POLLOUT
// from POLLERR/POLLHUP here saves a getsockopt(SO_ERROR) on the common path.
Result<short> pollEvents(int fd, short events, Deadline deadline);

inline Result<Readiness> waitReadable(int fd, Deadline deadline) { return waitFor(fd, POLLIN, deadline); }
inline Result<Readiness> waitWritable(int fd, Deadline deadline) { return waitFor(fd, POLLOUT, deadline); }

}  // namespace sockspec::net
