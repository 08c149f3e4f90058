#include "net/sock_addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstddef>
#include <cstring>

#include <fmt/format.h>

namespace sockspec::net {

int familyOf(const Endpoint& endpoint) {
  if (endpoint.isUnix()) return AF_UNIX;
  return endpoint.isIpv6() ? AF_INET6 : AF_INET;
}

Expected<SockAddr, std::string> toSockAddr(const Endpoint& endpoint) {
  SockAddr address;
  if (endpoint.isUnix()) {
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::size_t room = sizeof(un.sun_path) - 1;
    if (endpoint.path.size() > room) {
      return Unexpected{fmt::format("unix socket name of {} bytes does not fit sun_path", endpoint.path.size())};
    }
    socklen_t length = 0;
    if (endpoint.abstract) {
      // unix(7): an abstract name starts with a NUL byte and its length is given by addrlen, not a NUL;
      // addrlen == sizeof(sa_family_t) asks for autobind.
      std::memcpy(un.sun_path + 1, endpoint.path.data(), endpoint.path.size());
      length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) +
                                      (endpoint.path.empty() ? 0 : 1 + endpoint.path.size()));
    } else {
      std::memcpy(un.sun_path, endpoint.path.data(), endpoint.path.size());
      length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + endpoint.path.size() + 1);
    }
    std::memcpy(address.getMutable(), &un, sizeof(un));
    address.setLength(length);
    return address;
  }

  const std::string& host = endpoint.host == "localhost" ? std::string("127.0.0.1") : endpoint.host;
  if (endpoint.isIpv6()) {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(endpoint.port);
    if (::inet_pton(AF_INET6, host.c_str(), &in6.sin6_addr) != 1) {
      return Unexpected{fmt::format("'{}' is not an IPv6 address", host)};
    }
    std::memcpy(address.getMutable(), &in6, sizeof(in6));
    address.setLength(sizeof(in6));
  } else {
    sockaddr_in in4{};
    in4.sin_family = AF_INET;
    in4.sin_port = htons(endpoint.port);
    if (::inet_pton(AF_INET, host.c_str(), &in4.sin_addr) != 1) {
      return Unexpected{fmt::format("'{}' is not an IPv4 address", host)};
    }
    std::memcpy(address.getMutable(), &in4, sizeof(in4));
    address.setLength(sizeof(in4));
  }
  return address;
}

Endpoint SockAddr::toEndpoint(Transport transport) const {
  Endpoint endpoint;
  endpoint.transport = transport;
  char text[INET6_ADDRSTRLEN] = {};
  switch (family()) {
    case AF_INET: {
      sockaddr_in in4{};
      std::memcpy(&in4, &m_storage, sizeof(in4));
      ::inet_ntop(AF_INET, &in4.sin_addr, text, sizeof(text));
      endpoint.host = text;
      endpoint.port = ntohs(in4.sin_port);
      break;
    }
    case AF_INET6: {
      sockaddr_in6 in6{};
      std::memcpy(&in6, &m_storage, sizeof(in6));
      ::inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof(text));
      endpoint.host = text;
      endpoint.port = ntohs(in6.sin6_port);
      break;
    }
    case AF_UNIX: {
      sockaddr_un un{};
      std::memcpy(&un, &m_storage, std::min<std::size_t>(m_length, sizeof(un)));
      std::size_t nameLength = m_length > offsetof(sockaddr_un, sun_path)
                                   ? m_length - offsetof(sockaddr_un, sun_path)
                                   : 0;
      if (nameLength > 0 && un.sun_path[0] == '\0') {
        endpoint.abstract = true;
        endpoint.path.assign(un.sun_path + 1, nameLength - 1);
      } else if (nameLength > 0) {
        endpoint.path.assign(un.sun_path, ::strnlen(un.sun_path, nameLength));
      }
      break;
    }
    default:
      break;
  }
  return endpoint;
}

std::string SockAddr::toString() const {
  switch (family()) {
    case AF_INET:
    case AF_INET6: {
      Endpoint endpoint = toEndpoint(Transport::Tcp);
      return family() == AF_INET6 ? fmt::format("[{}]:{}", endpoint.host, endpoint.port)
                                  : fmt::format("{}:{}", endpoint.host, endpoint.port);
    }
    case AF_UNIX: {
      Endpoint endpoint = toEndpoint(Transport::UnixStream);
      if (endpoint.abstract) return "@" + endpoint.path;
      return endpoint.path.empty() ? std::string("(unnamed)") : endpoint.path;
    }
    default:
      return "(no address)";
  }
}

}  // namespace sockspec::net
