#include "suites/queued_bytes.h"

#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <cerrno>

namespace sockspec::suites {

namespace {

Result<std::uint64_t> queued(int fd, unsigned long request, std::string_view call) {
  int bytes = 0;
  if (::ioctl(fd, request, &bytes) < 0) return Unexpected{SysError{errno, call}};
  return static_cast<std::uint64_t>(bytes < 0 ? 0 : bytes);
}

}  // namespace

Result<std::uint64_t> bytesWaitingForUs(int fd) { return queued(fd, SIOCINQ, "ioctl(SIOCINQ)"); }

Result<std::uint64_t> unixBytesUnreadByPeer(int fd) { return queued(fd, SIOCOUTQ, "ioctl(SIOCOUTQ)"); }

}  // namespace sockspec::suites
