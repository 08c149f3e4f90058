// The kernel's view of the AF_UNIX socket at the other end of a connection, through unix_diag
// (NETLINK_SOCK_DIAG, sock_diag(7); what `ss -xm` shows as skmem). Reading needs no privileges; it sees the
// sockets of the caller's network namespace only.
#pragma once

#include <cstdint>

#include "base/sys_error.h"

namespace sockspec::net {

// What the peer may still send us: its send buffer's size and what it has queued from it. On AF_UNIX a
// sender's skbs stay charged to its own socket until the receiver reads them (skb_set_owner_w() in
// unix_stream_sendmsg() and unix_dgram_sendmsg()), so `queued` is what waits in our receive queue, counted
// with the kernel's per-buffer overhead (truesize), and a sender blocks once queued >= limit
// (sock_alloc_send_pskb()).
struct UnixPeerSendMemory {
  std::uint64_t queued = 0;  // the peer's sk_wmem_alloc (SK_MEMINFO_WMEM_ALLOC)
  std::uint64_t limit = 0;   // the peer's sk_sndbuf (SK_MEMINFO_SNDBUF)
};

// For a connected AF_UNIX socket `fd`: two exact unix_diag queries, our socket's peer (UDIAG_SHOW_PEER),
// then that socket's memory (UDIAG_SHOW_MEMINFO). Fails with ENOENT when the peer is gone, ENOTCONN when
// there is none, or the netlink call's errno (EPROTONOSUPPORT where unix_diag is not available).
Result<UnixPeerSendMemory> unixPeerSendMemory(int fd);

}  // namespace sockspec::net
