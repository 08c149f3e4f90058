#include "net/socket_table.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <charconv>
#include <optional>
#include <fstream>
#include <sstream>
#include <string>

#include "net/unique_fd.h"

namespace sockspec::net {

namespace {

constexpr std::string_view kTcpListen = "0A";  // TCP_LISTEN in include/net/tcp_states.h, as /proc/net/tcp writes it

template <typename Number>
bool parseNumber(std::string_view text, Number& value, int base) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  return error == std::errc() && end == text.data() + text.size();
}

// /proc/net/{tcp,tcp6,udp,udp6}: "sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode",
// addresses as HEXADDR:HEXPORT.
void inetInodes(const char* table, std::uint16_t port, bool listenersOnly, std::vector<std::uint64_t>& inodes) {
  std::ifstream file(table);
  std::string line;
  std::getline(file, line);  // the header
  while (std::getline(file, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
    if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode)) {
      continue;
    }
    auto colon = local.rfind(':');
    unsigned bound = 0;
    if (colon == std::string::npos || !parseNumber(std::string_view(local).substr(colon + 1), bound, 16)) continue;
    if (bound != port || (listenersOnly && state != kTcpListen)) continue;
    std::uint64_t number = 0;
    if (parseNumber(inode, number, 10) && number != 0) inodes.push_back(number);
  }
}

// /proc/net/unix: "Num RefCount Protocol Flags Type St Inode Path"; an abstract name is written "@name".
void unixInodes(const Endpoint& endpoint, std::vector<std::uint64_t>& inodes) {
  std::string wanted = endpoint.abstract ? "@" + endpoint.path : endpoint.path;
  std::ifstream file("/proc/net/unix");
  std::string line;
  std::getline(file, line);
  while (std::getline(file, line)) {
    std::istringstream fields(line);
    std::string slot, references, protocol, flags, type, state, inode, path;
    if (!(fields >> slot >> references >> protocol >> flags >> type >> state >> inode >> path)) continue;
    std::uint64_t number = 0;
    if (path == wanted && parseNumber(inode, number, 10)) inodes.push_back(number);
  }
}

constexpr std::uint32_t kAllStates = ~0U;
constexpr std::uint32_t kListenState = 1U << 10;  // TCP_LISTEN

// The inodes of the `protocol` sockets of `family` in `states` bound to `port`, asked of the kernel with a
// sock_diag dump (sock_diag(7)): the kernel filters by state, so a host with tens of thousands of TIME_WAIT
// sockets answers a listener query at once, where /proc/net/tcp would list them all (~80 ms for 16,000).
// nullopt when netlink cannot be used; the caller then reads /proc/net.
std::optional<std::vector<std::uint64_t>> diagInodes(int family, int protocol, std::uint32_t states,
                                                     std::uint16_t port) {
  UniqueFd netlink(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (!netlink) return std::nullopt;
  timeval bound{1, 0};  // a dump is answered at once; never wait for ever
  (void)::setsockopt(netlink.get(), SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof(bound));
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } message{};
  message.header.nlmsg_len = sizeof(message);
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.request.sdiag_family = static_cast<std::uint8_t>(family);
  message.request.sdiag_protocol = static_cast<std::uint8_t>(protocol);
  message.request.idiag_states = states;
  if (::send(netlink.get(), &message, sizeof(message), 0) != static_cast<ssize_t>(sizeof(message))) return std::nullopt;
  std::vector<std::uint64_t> inodes;
  alignas(nlmsghdr) char buffer[16384];
  // Bounded: the dump ends with NLMSG_DONE, and each recv waits at most a second.
  for (;;) {
    ssize_t got = ::recv(netlink.get(), buffer, sizeof(buffer), 0);
    if (got <= 0) return std::nullopt;
    auto left = static_cast<std::size_t>(got);
    // netlink(7): messages follow each other, each aligned to NLMSG_ALIGNTO (4) bytes.
    for (std::size_t at = 0; at + sizeof(nlmsghdr) <= left;) {
      const auto* header = reinterpret_cast<const nlmsghdr*>(buffer + at);
      if (header->nlmsg_len < sizeof(nlmsghdr) || at + header->nlmsg_len > left) break;
      at += (header->nlmsg_len + 3U) & ~3U;
      if (header->nlmsg_type == NLMSG_DONE) return inodes;
      if (header->nlmsg_type == NLMSG_ERROR) return std::nullopt;
      if (header->nlmsg_len < sizeof(nlmsghdr) + sizeof(inet_diag_msg)) continue;
      const auto* socketInfo = reinterpret_cast<const inet_diag_msg*>(header + 1);
      if (ntohs(socketInfo->id.idiag_sport) == port && socketInfo->idiag_inode != 0) {
        inodes.push_back(socketInfo->idiag_inode);
      }
    }
  }
}

// Both IP families' sockets of `protocol` on `port`: from sock_diag, else from the /proc/net tables.
void inetInodes(int protocol, std::uint16_t port, std::vector<std::uint64_t>& inodes) {
  bool listenersOnly = protocol == IPPROTO_TCP;
  std::uint32_t states = listenersOnly ? kListenState : kAllStates;
  auto v4 = diagInodes(AF_INET, protocol, states, port);
  auto v6 = diagInodes(AF_INET6, protocol, states, port);
  if (v4 && v6) {
    inodes.insert(inodes.end(), v4->begin(), v4->end());
    inodes.insert(inodes.end(), v6->begin(), v6->end());
    return;
  }
  bool tcp = protocol == IPPROTO_TCP;
  inetInodes(tcp ? "/proc/net/tcp" : "/proc/net/udp", port, listenersOnly, inodes);
  inetInodes(tcp ? "/proc/net/tcp6" : "/proc/net/udp6", port, listenersOnly, inodes);
}

}  // namespace

std::vector<std::uint64_t> servingSocketInodes(const Endpoint& endpoint) {
  std::vector<std::uint64_t> inodes;
  switch (endpoint.transport) {
    case Transport::Tcp:
      inetInodes(IPPROTO_TCP, endpoint.port, inodes);
      break;
    case Transport::Udp:
      inetInodes(IPPROTO_UDP, endpoint.port, inodes);
      break;
    case Transport::UnixStream:
    case Transport::UnixDgram:
    case Transport::UnixSeqpacket:
      unixInodes(endpoint, inodes);
      break;
  }
  return inodes;
}

}  // namespace sockspec::net
