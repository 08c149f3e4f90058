// What the kernel holds on a connected socket, read with ioctl(2): the bytes waiting for us to read, and the
// bytes we sent that the peer has not read yet. Used to tell a server that stopped reading because it holds
// data of its own (flow control) from one that only has not run yet.
#pragma once

#include <cstdint>

#include "base/sys_error.h"

namespace sockspec::suites {

// SIOCINQ (FIONREAD): bytes in our receive queue. On AF_UNIX stream and seqpacket sockets every queued record
// is counted (unix_inq_len()); on TCP the unread bytes (tcp(7)).
Result<std::uint64_t> bytesWaitingForUs(int fd);

// SIOCOUTQ on AF_UNIX: what we sent that sits unread in the peer's receive queue, counted with the kernel's
// per-buffer overhead (unix_outq_len() returns sk_wmem_alloc, truesize), so never less than the bytes.
// Not for TCP, where SIOCOUTQ counts only what the peer's kernel has not acknowledged (tcp(7)).
Result<std::uint64_t> unixBytesUnreadByPeer(int fd);

}  // namespace sockspec::suites
