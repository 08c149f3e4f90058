#include "net/socket_diag.h"

#include <fmt/format.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>

#include "net/sock_diag_query.h"

namespace sockspec::net {

namespace {

SockAddr inetAddress(int family, const std::uint32_t (&words)[4], std::uint16_t portNetworkOrder) {
  SockAddr address;
  if (family == AF_INET) {
    sockaddr_in in4{};
    in4.sin_family = AF_INET;
    in4.sin_port = portNetworkOrder;
    std::memcpy(&in4.sin_addr, &words[0], sizeof(in4.sin_addr));
    std::memcpy(address.getMutable(), &in4, sizeof(in4));
    address.setLength(sizeof(in4));
  } else {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_port = portNetworkOrder;
    std::memcpy(&in6.sin6_addr, &words[0], sizeof(in6.sin6_addr));
    std::memcpy(address.getMutable(), &in6, sizeof(in6));
    address.setLength(sizeof(in6));
  }
  return address;
}

}  // namespace

std::string tcpStateName(TcpState state) {
  switch (state) {
    case TcpState::Established:
      return "ESTABLISHED";
    case TcpState::SynSent:
      return "SYN-SENT";
    case TcpState::SynRecv:
      return "SYN-RECV";
    case TcpState::FinWait1:
      return "FIN-WAIT-1";
    case TcpState::FinWait2:
      return "FIN-WAIT-2";
    case TcpState::TimeWait:
      return "TIME-WAIT";
    case TcpState::Close:
      return "CLOSED";
    case TcpState::CloseWait:
      return "CLOSE-WAIT";
    case TcpState::LastAck:
      return "LAST-ACK";
    case TcpState::Listen:
      return "LISTEN";
    case TcpState::Closing:
      return "CLOSING";
    case TcpState::NewSynRecv:
      return "NEW-SYN-RECV";
  }
  return fmt::format("state {}", static_cast<unsigned>(state));
}

Result<std::vector<TcpSocketInfo>> listTcpSockets(int family, std::uint32_t stateMask, TcpDiagDetail detail) {
  auto request = makeSockDiagRequest<inet_diag_req_v2>(NLM_F_REQUEST | NLM_F_DUMP);
  request.body.sdiag_family = static_cast<std::uint8_t>(family);
  request.body.sdiag_protocol = IPPROTO_TCP;
  request.body.idiag_states = stateMask;
  if (detail == TcpDiagDetail::Info) request.body.idiag_ext = 1u << (INET_DIAG_INFO - 1);

  std::vector<TcpSocketInfo> sockets;
  auto answered = querySockDiag(std::as_bytes(std::span(&request, 1)), [&](std::span<const char> payload) {
    if (payload.size() < sizeof(inet_diag_msg)) return;
    inet_diag_msg message{};
    std::memcpy(&message, payload.data(), sizeof(message));
    TcpSocketInfo info;
    info.state = static_cast<TcpState>(message.idiag_state);
    info.local = inetAddress(message.idiag_family, message.id.idiag_src, message.id.idiag_sport);
    info.remote = inetAddress(message.idiag_family, message.id.idiag_dst, message.id.idiag_dport);
    info.receiveQueue = message.idiag_rqueue;
    info.sendQueue = message.idiag_wqueue;
    info.inode = message.idiag_inode;
    info.uid = message.idiag_uid;
    std::size_t attributesAt = std::min<std::size_t>(NLMSG_ALIGN(sizeof(inet_diag_msg)), payload.size());
    forEachAttribute(payload.subspan(attributesAt), [&](unsigned short type, std::span<const char> value) {
      if (type != INET_DIAG_INFO) return;
      tcp_info tcp{};
      std::size_t length = std::min(value.size(), sizeof(tcp));
      std::memcpy(&tcp, value.data(), length);
      // An older kernel's shorter tcp_info lacks the field.
      if (length >= offsetof(tcp_info, tcpi_bytes_received) + sizeof(tcp.tcpi_bytes_received)) {
        info.bytesReceived = tcp.tcpi_bytes_received;
      }
    });
    sockets.push_back(info);
  });
  if (!answered) return Unexpected{answered.error()};
  return sockets;
}

std::uint16_t portOf(const SockAddr& address) {
  if (address.family() == AF_INET)
    return ntohs(reinterpret_cast<const sockaddr_in*>(address.get())->sin_port);
  if (address.family() == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6*>(address.get())->sin6_port);
  return 0;
}

bool sameHost(const SockAddr& a, const SockAddr& b) {
  if (a.family() != b.family()) return false;
  if (a.family() == AF_INET) {
    return reinterpret_cast<const sockaddr_in*>(a.get())->sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in*>(b.get())->sin_addr.s_addr;
  }
  if (a.family() == AF_INET6) {
    return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(a.get())->sin6_addr,
                       &reinterpret_cast<const sockaddr_in6*>(b.get())->sin6_addr, sizeof(in6_addr)) == 0;
  }
  return false;
}

bool isWildcard(const SockAddr& address) {
  if (address.family() == AF_INET)
    return reinterpret_cast<const sockaddr_in*>(address.get())->sin_addr.s_addr == 0;
  if (address.family() == AF_INET6) {
    return IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(address.get())->sin6_addr);
  }
  return false;
}

}  // namespace sockspec::net
