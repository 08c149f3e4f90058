#include "runner/scenario_sockets.h"

#include <sys/socket.h>


#include <fmt/format.h>

#include "net/endpoint.h"

namespace sockspec::runner {

using scenario::Family;

int ScenarioSockets::domain() const { return net::domainOf(m_family); }

int ScenarioSockets::type() const { return net::typeOf(m_family); }

bool ScenarioSockets::isTcp() const { return net::isTcp(m_family); }
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
