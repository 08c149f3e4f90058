// SocketKind: a socket's address family and type together, the unit every scenario runs over (the
// language's "families") and every endpoint is: tcp4 (AF_INET, SOCK_STREAM), tcp6, unix (AF_UNIX,
// SOCK_STREAM), udp4, udp6, unix-dgram, unix-seqpacket. One type for the scenario language, the runner and
// target mode, with its names and its conversions in one place.
#pragma once

#include <optional>
#include <string_view>

#include "net/endpoint.h"

namespace sockspec::net {

enum class SocketKind { Tcp4, Tcp6, Unix, Udp4, Udp6, UnixDgram, UnixSeqpacket };

std::string_view socketKindName(SocketKind kind);  // "tcp4", "unix-dgram", ...
std::optional<SocketKind> socketKindFromName(std::string_view name);

int domainOf(SocketKind kind);  // AF_INET, AF_INET6 or AF_UNIX
int typeOf(SocketKind kind);    // SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET
bool isTcp(SocketKind kind);
Transport transportOf(SocketKind kind);
// The kind of socket that talks to `endpoint`: its transport, and IPv4 or IPv6 by its host.
SocketKind socketKindOf(const Endpoint& endpoint);

}  // namespace sockspec::net
