#include "suites/tcp_segments.h"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstddef>

namespace sockspec::suites {

Result<std::uint32_t> tcpSegmentsSent(int fd) {
  tcp_info info{};
  socklen_t length = sizeof(info);
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) < 0) {
    return Unexpected{SysError{errno, "getsockopt(TCP_INFO)"}};
  }
  // An older kernel fills less: without the field there is no answer, which the caller treats as "unknown".
  if (length < offsetof(tcp_info, tcpi_segs_out) + sizeof(info.tcpi_segs_out)) {
    return Unexpected{SysError{ENOPROTOOPT, "getsockopt(TCP_INFO)"}};
  }
  return info.tcpi_segs_out;
}

}  // namespace sockspec::suites
