// The sockets a running scenario has named, and the addresses they get in the scenario's family. Owns every
// descriptor; unix socket paths go in a private directory that the caller owns (base/temp_directory.h),
// so that even a scenario process killed at its deadline leaves nothing behind.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "net/sock_addr.h"
#include "net/unique_fd.h"
#include "scenario/scenario.h"

namespace sockspec::runner {

struct NamedSocket {
  net::UniqueFd fd;          // empty once closed: calls then use -1 and get EBADF, never a reused number
  bool nonblocking = false;  // as the scenario set it (the runner bounds blocking calls with SO_*TIMEO)
  net::SockAddr local;       // the last local address seen (kept after close, for bind-to and connect)
  // The connection's other end, once known: getpeername() after accept, the address connected to after a
  // connect (even one still in progress, when getpeername() says ENOTCONN). Kept after close, so that wire
  // steps can find the connection's packets.
  net::SockAddr peer;
  int userReceiveTimeoutMs = 0;  // SO_RCVTIMEO / SO_SNDTIMEO the scenario set itself (0: none)
  int userSendTimeoutMs = 0;
  int rawFd() const { return fd ? fd.get() : -1; }
};

class ScenarioSockets {
 public:
  // `directory` is an existing private folder for unix socket paths.
  ScenarioSockets(scenario::Family family, std::string directory)
      : m_family(family), m_directory(std::move(directory)) {}

  scenario::Family family() const { return m_family; }
  int domain() const;  // AF_INET, AF_INET6, AF_UNIX
  int type() const;    // SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET
  bool isTcp() const;
  bool isStream() const;

  // Whether the process runs in a network namespace made for this scenario (set before the first step).
  void setOwnNetworkNamespace(bool own) { m_ownNetworkNamespace = own; }
  bool ownNetworkNamespace() const { return m_ownNetworkNamespace; }

  // The server under test's address (run --target/--target-cmd), for connect-target; empty without one.
  void setTarget(net::SockAddr target) { m_target = target; }
  const net::SockAddr& target() const { return m_target; }

  NamedSocket& add(const std::string& name, net::UniqueFd fd, bool nonblocking);
  NamedSocket* find(const std::string& name);

  // A fresh address to bind: the loopback address with port 0, or a new path in the private directory;
  // `wildcard` gives 0.0.0.0 / :: / an autobound abstract name instead.
  net::SockAddr freshAddress(const std::string& name, bool wildcard);

 private:
  scenario::Family m_family;
  std::string m_directory;
  std::map<std::string, NamedSocket, std::less<>> m_sockets;
  int m_pathCounter = 0;
  bool m_ownNetworkNamespace = false;
  net::SockAddr m_target;
};

}  // namespace sockspec::runner
