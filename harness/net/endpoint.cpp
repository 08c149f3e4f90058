#include "net/endpoint.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <array>
#include <charconv>

#include <fmt/format.h>

#include "base/display_escape.h"

namespace sockspec::net {

namespace {

struct SchemeEntry {
  std::string_view scheme;
  Transport transport;
};
constexpr std::array kSchemes{
    SchemeEntry{"tcp", Transport::Tcp},
    SchemeEntry{"udp", Transport::Udp},
    SchemeEntry{"unix", Transport::UnixStream},
    SchemeEntry{"unix-dgram", Transport::UnixDgram},
    SchemeEntry{"unix-seqpacket", Transport::UnixSeqpacket},
};

// sun_path is 108 bytes: a filesystem path needs its terminating NUL, an abstract name its leading NUL.
constexpr std::size_t kMaxUnixName = sizeof(sockaddr_un::sun_path) - 1;

Unexpected<EndpointError> failAt(std::size_t offset, std::string message) {
  return Unexpected{EndpointError{std::move(message), offset + 1}};
}

bool isIpv4Literal(const std::string& host) {
  in_addr addr{};
  return ::inet_pton(AF_INET, host.c_str(), &addr) == 1;
}

bool isIpv6Literal(const std::string& host) {
  in6_addr addr{};
  return ::inet_pton(AF_INET6, host.c_str(), &addr) == 1;
}

Expected<Endpoint, EndpointError> parseInet(Transport transport, std::string_view text, std::size_t start) {
  Endpoint endpoint;
  endpoint.transport = transport;
  std::string_view rest = text.substr(start);
  std::size_t portColon = 0;  // offset in `text` of the ':' before the port

  if (rest.empty()) return failAt(start, "expected a host, e.g. 127.0.0.1:7 or [::1]:7");
  // inet_pton() reads a C string: "127.0.0.1\0junk" would pass as 127.0.0.1.
  if (std::size_t nul = rest.find('\0'); nul != std::string_view::npos) {
    return failAt(start + nul, "a host or port cannot contain a NUL byte");
  }
  if (rest.front() == '[') {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return failAt(start, "'[' opens an IPv6 address that no ']' closes");
    endpoint.host = std::string(rest.substr(1, close - 1));
    if (!isIpv6Literal(endpoint.host)) {
      return failAt(start + 1, fmt::format("'{}' is not an IPv6 address literal", escapeForDisplay(endpoint.host)));
    }
    if (close + 1 >= rest.size() || rest[close + 1] != ':') {
      return failAt(start + close + 1, "expected ':' and a port after the IPv6 address");
    }
    portColon = start + close + 1;
  } else {
    std::size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return failAt(text.size(), "expected ':' and a port after the host");
    if (rest.find(':', colon + 1) != std::string_view::npos) {
      return failAt(start, "an IPv6 address goes in brackets, e.g. tcp://[::1]:7");
    }
    endpoint.host = std::string(rest.substr(0, colon));
    if (endpoint.host.empty()) return failAt(start, "expected a host before ':'");
    if (endpoint.host != "localhost" && !isIpv4Literal(endpoint.host)) {
      return failAt(start, fmt::format("'{}' is not an IPv4 address literal or localhost "
                                       "(sockspec does not look names up)",
                                       escapeForDisplay(endpoint.host)));
    }
    portColon = start + colon;
  }

  std::string_view portText = text.substr(portColon + 1);
  if (portText.empty()) return failAt(portColon + 1, "expected a port number (0 picks a free port)");
  unsigned long port = 0;
  auto [end, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
  std::size_t parsed = static_cast<std::size_t>(end - portText.data());
  if (ec == std::errc::invalid_argument || (ec == std::errc{} && parsed != portText.size())) {
    std::size_t bad = portColon + 1 + (ec == std::errc{} ? parsed : 0);
    return failAt(bad, fmt::format("unexpected '{}' in the port: expected digits", escapeForDisplay(text.substr(bad, 1))));
  }
  if (ec == std::errc::result_out_of_range || port > 65535) {
    return failAt(portColon + 1, fmt::format("port {} is out of range 0-65535", escapeForDisplay(portText, 24)));
  }
  endpoint.port = static_cast<std::uint16_t>(port);
  return endpoint;
}

Expected<Endpoint, EndpointError> parseUnix(Transport transport, std::string_view text, std::size_t start) {
  Endpoint endpoint;
  endpoint.transport = transport;
  std::string_view rest = text.substr(start);
  if (rest.empty()) return failAt(start, "expected a path (unix:///tmp/s.sock) or an abstract name (unix://@name)");
  if (rest.find('\0') != std::string_view::npos) {
    return failAt(start + rest.find('\0'), "a unix socket path cannot contain a NUL byte");
  }
  if (rest.front() == '@') {
    endpoint.abstract = true;
    rest.remove_prefix(1);
  }
  if (rest.size() > kMaxUnixName) {
    return failAt(start, fmt::format("unix socket name is {} bytes, longer than the {} that fit in sun_path",
                                     rest.size(), kMaxUnixName));
  }
  endpoint.path = std::string(rest);
  return endpoint;
}

}  // namespace

std::string_view schemeOf(Transport transport) {
  for (const auto& entry : kSchemes) {
    if (entry.transport == transport) return entry.scheme;
  }
  return "?";
}

int socketTypeOf(Transport transport) {
  switch (transport) {
    case Transport::Tcp:
    case Transport::UnixStream:
      return SOCK_STREAM;
    case Transport::Udp:
    case Transport::UnixDgram:
      return SOCK_DGRAM;
    case Transport::UnixSeqpacket:
      return SOCK_SEQPACKET;
  }
  return SOCK_STREAM;
}

bool isUnix(Transport transport) {
  return transport == Transport::UnixStream || transport == Transport::UnixDgram ||
         transport == Transport::UnixSeqpacket;
}

bool isConnectionOriented(Transport transport) { return socketTypeOf(transport) != SOCK_DGRAM; }

bool Endpoint::isIpv6() const { return !isUnix() && host.find(':') != std::string::npos; }

std::string Endpoint::toString() const {
  if (isUnix()) return fmt::format("{}://{}{}", schemeOf(transport), abstract ? "@" : "", path);
  if (isIpv6()) return fmt::format("{}://[{}]:{}", schemeOf(transport), host, port);
  return fmt::format("{}://{}:{}", schemeOf(transport), host, port);
}

Expected<Endpoint, EndpointError> parseEndpoint(std::string_view text) {
  std::size_t sep = text.find("://");
  if (sep == std::string_view::npos) {
    return failAt(0, "expected SCHEME://ADDRESS, e.g. tcp://127.0.0.1:7, udp://[::1]:7 or unix:///tmp/s.sock");
  }
  std::string_view scheme = text.substr(0, sep);
  for (const auto& entry : kSchemes) {
    if (entry.scheme != scheme) continue;
    std::size_t start = sep + 3;
    return isUnix(entry.transport) ? parseUnix(entry.transport, text, start)
                                   : parseInet(entry.transport, text, start);
  }
  return failAt(0, fmt::format("unknown scheme '{}': expected tcp, udp, unix, unix-dgram or unix-seqpacket",
                               escapeForDisplay(scheme, 32)));
}

std::string formatEndpointError(std::string_view text, const EndpointError& error) {
  return fmt::format("endpoint '{}', column {}: {}", escapeForDisplay(text), error.column, error.message);
}

}  // namespace sockspec::net
