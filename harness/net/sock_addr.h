// SockAddr: a socket address of any family (sockaddr_storage plus its length), and its conversion
// from and to Endpoint.
#pragma once

#include <sys/socket.h>

#include <string>

#include "base/expected.h"
#include "net/endpoint.h"

namespace sockspec::net {

class SockAddr {
 public:
  SockAddr() = default;

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&m_storage); }
  sockaddr* getMutable() { return reinterpret_cast<sockaddr*>(&m_storage); }
  socklen_t length() const { return m_length; }
  // For calls that fill the address in (accept, recvfrom, getsockname): the capacity in, the length out.
  socklen_t* lengthInOut() {
    m_length = sizeof(m_storage);
    return &m_length;
  }
  static constexpr socklen_t capacity() { return sizeof(sockaddr_storage); }
  void setLength(socklen_t length) { m_length = length; }
  int family() const { return m_length == 0 ? AF_UNSPEC : m_storage.ss_family; }

  // The address as an Endpoint of the given transport (port and host for inet, path for unix).
  // An unbound unix socket has no name; its endpoint has an empty path and is not abstract.
  Endpoint toEndpoint(Transport transport) const;

  // "127.0.0.1:41234", "[::1]:7", "/tmp/s.sock", "@name", "(unnamed)": for messages.
  std::string toString() const;

 private:
  sockaddr_storage m_storage{};
  socklen_t m_length = 0;
};

// The address to bind or connect to for an endpoint: no name lookups ("localhost" is 127.0.0.1).
// Fails with a message for a unix name that does not fit.
Expected<SockAddr, std::string> toSockAddr(const Endpoint& endpoint);

// AF_INET, AF_INET6 or AF_UNIX.
int familyOf(const Endpoint& endpoint);

}  // namespace sockspec::net
