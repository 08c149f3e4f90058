// The kernel's own view of TCP sockets, through NETLINK_SOCK_DIAG (sock_diag(7), inet_diag): what `ss -t`
// shows. For a listener the two queues mean something else than for a connection (inet_diag_fill(),
// tcp_diag_get_info()): the receive queue is the accept queue's length now (ss's Recv-Q) and the send queue
// is its maximum, the backlog the listener really has after the kernel's clamp to somaxconn (ss's Send-Q).
// Reading needs no privileges; it sees the sockets of the caller's network namespace only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/sys_error.h"
#include "net/sock_addr.h"

namespace sockspec::net {

// The TCP states as include/net/tcp_states.h numbers them (TCP_ESTABLISHED = 1 ... TCP_NEW_SYN_RECV = 12).
enum class TcpState : std::uint8_t {
  Established = 1,
  SynSent,
  SynRecv,
  FinWait1,
  FinWait2,
  TimeWait,
  Close,
  CloseWait,
  LastAck,
  Listen,
  Closing,
  NewSynRecv,
};

// "ESTABLISHED", "CLOSE-WAIT", ...: ss's spelling; "state 99" for a number the kernel may add later.
std::string tcpStateName(TcpState state);

// A mask of states for listTcpSockets: one bit per state.
constexpr std::uint32_t tcpStateBit(TcpState state) {
  return 1u << static_cast<unsigned>(state);
}
inline constexpr std::uint32_t kAllTcpStates = 0xffffffffu;

struct TcpSocketInfo {
  TcpState state = TcpState::Close;
  SockAddr local;
  SockAddr remote;
  // Listener: connections waiting to be accepted. Otherwise: bytes received and not yet read by the owner.
  std::uint32_t receiveQueue = 0;
  // Listener: the accept queue's maximum (the backlog). Otherwise: bytes sent and not yet acknowledged.
  std::uint32_t sendQueue = 0;
  std::uint64_t inode = 0;  // 0 for sockets no descriptor holds any more (TIME-WAIT, orphans)
  std::uint32_t uid = 0;
  // With TcpDiagDetail::Info, from the socket's tcp_info (INET_DIAG_INFO): payload bytes received in order
  // (tcpi_bytes_received, Linux 4.1+); nullopt otherwise.
  std::optional<std::uint64_t> bytesReceived;
};

enum class TcpDiagDetail { Basic, Info };

// Every TCP socket of `family` (AF_INET or AF_INET6) whose state is in `stateMask`. Fails with the netlink
// call's errno (EPROTONOSUPPORT where inet_diag is not built in, EACCES under a seccomp filter).
// Info asks the kernel for each socket's tcp_info as well (a longer dump).
Result<std::vector<TcpSocketInfo>> listTcpSockets(int family, std::uint32_t stateMask = kAllTcpStates,
                                                  TcpDiagDetail detail = TcpDiagDetail::Basic);

// The port of an AF_INET or AF_INET6 address; 0 for anything else.
std::uint16_t portOf(const SockAddr& address);
// Whether two inet addresses name the same host address (ports ignored).
bool sameHost(const SockAddr& a, const SockAddr& b);
// Whether the address is the wildcard (0.0.0.0 or ::).
bool isWildcard(const SockAddr& address);

}  // namespace sockspec::net
