#include "net/unique_fd.h"

#include <unistd.h>

namespace sockspec::net {

void UniqueFd::reset(int fd) noexcept {
  int old = std::exchange(m_fd, fd);
  // close(2): "Retrying the close() after a failure return is the wrong thing to do", even on EINTR.
  if (old >= 0) (void)::close(old);
}

}  // namespace sockspec::net
