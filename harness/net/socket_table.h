// The kernel's view of this network namespace's sockets (sock_diag(7) for TCP, /proc/net/udp and unix;
// proc(5)): which sockets serve an endpoint, by inode, so that the harness can tell whose they are.
#pragma once

#include <cstdint>
#include <vector>

#include "net/endpoint.h"

namespace sockspec::net {

// The inodes of the sockets that serve `endpoint` here: TCP listeners on its port (any address), UDP
// sockets bound to its port, unix sockets bound to its path. Empty when none (or the tables are unreadable).
std::vector<std::uint64_t> servingSocketInodes(const Endpoint& endpoint);

}  // namespace sockspec::net
