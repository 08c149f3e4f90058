// Sends a byte string whole over a stream socket, however many send(2) calls the kernel needs: send-file's
// files may be megabytes, more than one call takes. Bounded by the step's deadline.
#pragma once

#include <cstddef>
#include <string_view>

#include "base/deadline.h"

namespace sockspec::runner {

struct SendAll {
  std::size_t sent = 0;  // bytes the kernel took
  int error = 0;         // 0: all sent; EAGAIN: no room before the deadline; else send(2)'s errno
};

// send(2) with MSG_DONTWAIT | MSG_NOSIGNAL until all of `bytes` is taken, waiting (poll) for room; EINTR
// repeats. `waitForRoom` false: stop at the first EAGAIN ("-> blocks" looks without waiting).
SendAll sendAll(int fd, std::string_view bytes, Deadline deadline, bool waitForRoom);

}  // namespace sockspec::runner
