#include "runner/scenario_sockets.h"

#include <sys/socket.h>


#include <fmt/format.h>

#include "net/endpoint.h"

namespace sockspec::runner {

using scenario::Family;

int ScenarioSockets::domain() const {
  switch (m_family) {
    case Family::Tcp4:
    case Family::Udp4: return AF_INET;
    case Family::Tcp6:
    case Family::Udp6: return AF_INET6;
    case Family::Unix:
    case Family::UnixDgram:
    case Family::UnixSeqpacket: return AF_UNIX;
  }
  return AF_UNSPEC;
}

int ScenarioSockets::type() const {
  switch (m_family) {
    case Family::Tcp4:
    case Family::Tcp6:
    case Family::Unix: return SOCK_STREAM;
    case Family::Udp4:
    case Family::Udp6:
    case Family::UnixDgram: return SOCK_DGRAM;
    case Family::UnixSeqpacket: return SOCK_SEQPACKET;
  }
  return SOCK_STREAM;
}

bool ScenarioSockets::isTcp() const { return m_family == Family::Tcp4 || m_family == Family::Tcp6; }
bool ScenarioSockets::isStream() const { return type() == SOCK_STREAM; }

NamedSocket& ScenarioSockets::add(const std::string& name, net::UniqueFd fd, bool nonblocking) {
  NamedSocket& entry = m_sockets[name];
  entry = NamedSocket{};
  entry.fd = std::move(fd);
  entry.nonblocking = nonblocking;
  return entry;
}

NamedSocket* ScenarioSockets::find(const std::string& name) {
  auto found = m_sockets.find(name);
  return found == m_sockets.end() ? nullptr : &found->second;
}

net::SockAddr ScenarioSockets::freshAddress(const std::string& name, bool wildcard) {
  net::Endpoint endpoint;
  switch (domain()) {
    case AF_INET:
      endpoint.transport = net::Transport::Tcp;
      endpoint.host = wildcard ? "0.0.0.0" : "127.0.0.1";
      break;
    case AF_INET6:
      endpoint.transport = net::Transport::Tcp;
      endpoint.host = wildcard ? "::" : "::1";
      break;
    default:
      endpoint.transport = net::Transport::UnixStream;
      if (wildcard) {
        endpoint.abstract = true;  // autobind (unix(7))
      } else {
        endpoint.path = fmt::format("{}/{}-{}.sock", m_directory, name, ++m_pathCounter);
      }
  }
  auto address = net::toSockAddr(endpoint);
  return address ? *address : net::SockAddr{};
}

}  // namespace sockspec::runner
