#include "net/socket_kind.h"

#include <sys/socket.h>

#include <array>

namespace sockspec::net {

namespace {

struct KindEntry {
  SocketKind kind;
  std::string_view name;
};

constexpr std::array kKinds{
    KindEntry{SocketKind::Tcp4, "tcp4"},          KindEntry{SocketKind::Tcp6, "tcp6"},
    KindEntry{SocketKind::Unix, "unix"},          KindEntry{SocketKind::Udp4, "udp4"},
    KindEntry{SocketKind::Udp6, "udp6"},          KindEntry{SocketKind::UnixDgram, "unix-dgram"},
    KindEntry{SocketKind::UnixSeqpacket, "unix-seqpacket"},
};

}  // namespace

std::string_view socketKindName(SocketKind kind) {
  for (const auto& entry : kKinds) {
    if (entry.kind == kind) return entry.name;
  }
  return "?";
}

std::optional<SocketKind> socketKindFromName(std::string_view name) {
  for (const auto& entry : kKinds) {
    if (entry.name == name) return entry.kind;
  }
  return std::nullopt;
}

int domainOf(SocketKind kind) {
  switch (kind) {
    case SocketKind::Tcp4:
    case SocketKind::Udp4: return AF_INET;
    case SocketKind::Tcp6:
    case SocketKind::Udp6: return AF_INET6;
    case SocketKind::Unix:
    case SocketKind::UnixDgram:
    case SocketKind::UnixSeqpacket: return AF_UNIX;
  }
  return AF_UNSPEC;
}

int typeOf(SocketKind kind) { return socketTypeOf(transportOf(kind)); }

bool isTcp(SocketKind kind) { return kind == SocketKind::Tcp4 || kind == SocketKind::Tcp6; }

Transport transportOf(SocketKind kind) {
  switch (kind) {
    case SocketKind::Tcp4:
    case SocketKind::Tcp6: return Transport::Tcp;
    case SocketKind::Udp4:
    case SocketKind::Udp6: return Transport::Udp;
    case SocketKind::Unix: return Transport::UnixStream;
    case SocketKind::UnixDgram: return Transport::UnixDgram;
    case SocketKind::UnixSeqpacket: return Transport::UnixSeqpacket;
  }
  return Transport::Tcp;  // not reached: every kind is listed
}

SocketKind socketKindOf(const Endpoint& endpoint) {
  bool v6 = endpoint.isIpv6();
  switch (endpoint.transport) {
    case Transport::Tcp: return v6 ? SocketKind::Tcp6 : SocketKind::Tcp4;
    case Transport::Udp: return v6 ? SocketKind::Udp6 : SocketKind::Udp4;
    case Transport::UnixStream: return SocketKind::Unix;
    case Transport::UnixDgram: return SocketKind::UnixDgram;
    case Transport::UnixSeqpacket: return SocketKind::UnixSeqpacket;
  }
  return SocketKind::Tcp4;  // not reached: every transport is listed
}

}  // namespace sockspec::net
