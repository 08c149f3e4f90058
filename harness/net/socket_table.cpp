#include "net/socket_table.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

#include "net/socket_diag.h"

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

// TCP listeners on `port`, asked of the kernel with a sock_diag dump (net/socket_diag.h): the kernel
// filters by state, so a host with tens of thousands of TIME_WAIT sockets answers at once, where
// /proc/net/tcp would list them all (~80 ms for 16,000). The tables are the fallback.
void tcpListenerInodes(std::uint16_t port, std::vector<std::uint64_t>& inodes) {
  auto v4 = listTcpSockets(AF_INET, tcpStateBit(TcpState::Listen));
  auto v6 = listTcpSockets(AF_INET6, tcpStateBit(TcpState::Listen));
  if (!v4 || !v6) {
    inetInodes("/proc/net/tcp", port, true, inodes);
    inetInodes("/proc/net/tcp6", port, true, inodes);
    return;
  }
  for (const auto* list : {&*v4, &*v6}) {
    for (const auto& socket : *list) {
      if (portOf(socket.local) == port && socket.inode != 0) inodes.push_back(socket.inode);
    }
  }
}

}  // namespace

std::vector<std::uint64_t> servingSocketInodes(const Endpoint& endpoint) {
  std::vector<std::uint64_t> inodes;
  switch (endpoint.transport) {
    case Transport::Tcp:
      tcpListenerInodes(endpoint.port, inodes);
      break;
    case Transport::Udp:
      inetInodes("/proc/net/udp", endpoint.port, false, inodes);
      inetInodes("/proc/net/udp6", endpoint.port, false, inodes);
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
