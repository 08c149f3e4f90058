// One NETLINK_SOCK_DIAG request and its answer (sock_diag(7)): the transport under inet_diag (socket_diag.h)
// and unix_diag (unix_diag.h). Private to the net floor.
#pragma once

#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

#include "base/sys_error.h"

namespace sockspec::net {

// A request: the netlink header, filled in for SOCK_DIAG_BY_FAMILY with `flags` (NLM_F_REQUEST, with
// NLM_F_DUMP for a dump), and the family's body (inet_diag_req_v2, unix_diag_req), zeroed for the caller.
template <typename Body>
struct SockDiagRequest {
  nlmsghdr header;
  Body body;
};
template <typename Body>
SockDiagRequest<Body> makeSockDiagRequest(std::uint16_t flags) {
  SockDiagRequest<Body> request{};
  request.header.nlmsg_len = sizeof(request);
  request.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  request.header.nlmsg_flags = flags;
  return request;
}

// Sends `request` (an nlmsghdr and its body, filled by the caller) and calls `onMessage` with the payload
// of each SOCK_DIAG_BY_FAMILY message of the answer, until NLMSG_DONE (a dump) or the first message (an
// exact query, without NLM_F_DUMP). Fails with the netlink call's errno, or the kernel's (NLMSG_ERROR:
// ENOENT for a socket that is gone, EPROTONOSUPPORT where the family's diag module is missing).
// Bounded: every recv waits at most 2 s.
Result<void> querySockDiag(std::span<const std::byte> request,
                           const std::function<void(std::span<const char> payload)>& onMessage);

// Calls `onAttribute(type, payload)` for each rtattr in `attributes` (rtnetlink(7) layout: rtattr, then its
// payload, each aligned), stopping at the first malformed one.
void forEachAttribute(std::span<const char> attributes,
                      const std::function<void(unsigned short type, std::span<const char> payload)>& onAttribute);

}  // namespace sockspec::net
