// Endpoint: where a socket lives, written as a URL.
//   tcp://127.0.0.1:8080   udp://[::1]:0   tcp://localhost:7
//   unix:///run/echo.sock          (AF_UNIX, SOCK_STREAM)
//   unix-dgram:///tmp/d.sock       (AF_UNIX, SOCK_DGRAM)
//   unix-seqpacket:///tmp/p.sock   (AF_UNIX, SOCK_SEQPACKET)
//   unix://@name                   (Linux abstract name, see unix(7))
//   unix-dgram://@                 (autobind: the kernel picks an abstract name when binding)
// Hosts are address literals or "localhost": sockspec talks to this machine, and a name lookup could
// block without a deadline.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/expected.h"

namespace sockspec::net {

enum class Transport { Tcp, Udp, UnixStream, UnixDgram, UnixSeqpacket };

std::string_view schemeOf(Transport transport);  // "tcp", "unix-dgram", ...
int socketTypeOf(Transport transport);            // SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET
bool isUnix(Transport transport);
bool isConnectionOriented(Transport transport);  // stream and seqpacket: listen/accept/connect

struct Endpoint {
  Transport transport = Transport::Tcp;
  // inet: the address literal without brackets ("127.0.0.1", "::1"), and the port (0: pick a free one).
  std::string host;
  std::uint16_t port = 0;
  // unix: a filesystem path, or with `abstract` the abstract name without its leading '@'.
  std::string path;
  bool abstract = false;

  bool isUnix() const { return net::isUnix(transport); }
  bool isIpv6() const;
  // Autobind: an abstract unix endpoint with an empty name.
  bool isAutobind() const { return isUnix() && abstract && path.empty(); }

  // The URL form that parseEndpoint() reads back to an equal Endpoint.
  std::string toString() const;
  bool operator==(const Endpoint&) const = default;
};

struct EndpointError {
  std::string message;  // what is wrong, naming the part ("port 70000 is out of range 0-65535")
  std::size_t column;   // 1-based column in the text where the problem starts
};

// Parses an endpoint URL; never throws, names the column of the first problem.
Expected<Endpoint, EndpointError> parseEndpoint(std::string_view text);

// "tcp://[::1]:0: port: expected digits, column 13" style message for users.
std::string formatEndpointError(std::string_view text, const EndpointError& error);

}  // namespace sockspec::net
