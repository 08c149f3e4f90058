// How many segments a TCP socket has sent (TCP_INFO tcpi_segs_out, RFC 4898 tcpEStatsPerfSegsOut), for a
// check that must know whether its first data rode on the handshake's final ACK: then only the SYN and that
// segment have left. glibc's struct tcp_info stops before tcpi_segs_out (Linux 4.2), so the kernel's header
// is read here, in a file of its own that includes no <netinet/tcp.h>.
#pragma once

#include <cstdint>

#include "base/sys_error.h"

namespace sockspec::suites {

// Fails with "getsockopt(TCP_INFO): ..." (ENOPROTOOPT on a socket that is not TCP).
Result<std::uint32_t> tcpSegmentsSent(int fd);

}  // namespace sockspec::suites
