#include "net/sock_diag_query.h"

#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <cstring>

#include "net/socket_ops.h"

namespace sockspec::net {

namespace {

// A dump of a few thousand sockets comes in a handful of these; the kernel never sends a larger one.
constexpr std::size_t kReceiveBuffer = 64 * 1024;

}  // namespace

Result<void> querySockDiag(std::span<const std::byte> request,
                           const std::function<void(std::span<const char> payload)>& onMessage) {
  nlmsghdr requestHeader{};
  if (request.size() < sizeof(requestHeader)) return failWith(EINVAL, "NETLINK_SOCK_DIAG request");
  std::memcpy(&requestHeader, request.data(), sizeof(requestHeader));
  const bool dump = (requestHeader.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;

  auto fd = openSocket(AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG);
  if (!fd) return Unexpected{fd.error()};
  // Bounded: the kernel answers at once, but nothing here may wait without a limit.
  timeval limit{2, 0};
  if (auto set = setSocketOption(fd->get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit)); !set) {
    return Unexpected{set.error()};
  }
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd->get(), request.data(), request.size(), 0, reinterpret_cast<const sockaddr*>(&kernel),
               sizeof(kernel)) < 0) {
    return lastError("sendto(NETLINK_SOCK_DIAG)");
  }

  alignas(nlmsghdr) static thread_local std::array<char, kReceiveBuffer> buffer;
  // Bounded: each recv waits at most SO_RCVTIMEO, and the answer ends with NLMSG_DONE or its one message.
  for (;;) {
    ssize_t received = ::recv(fd->get(), buffer.data(), buffer.size(), 0);
    if (received < 0) {
      if (errno == EINTR) continue;
      return lastError("recv(NETLINK_SOCK_DIAG)");
    }
    if (received == 0) return failWith(EPROTO, "recv(NETLINK_SOCK_DIAG)");
    // Walks the messages as NLMSG_OK/NLMSG_NEXT do (netlink(3)), without the macros' C casts.
    std::size_t offset = 0;
    const auto total = static_cast<std::size_t>(received);
    while (offset + sizeof(nlmsghdr) <= total) {
      nlmsghdr header{};
      std::memcpy(&header, buffer.data() + offset, sizeof(header));
      if (header.nlmsg_len < sizeof(nlmsghdr) || offset + header.nlmsg_len > total) break;
      std::span<const char> payload(buffer.data() + offset + NLMSG_HDRLEN, header.nlmsg_len - NLMSG_HDRLEN);
      offset += NLMSG_ALIGN(header.nlmsg_len);
      if (header.nlmsg_type == NLMSG_DONE) return {};
      if (header.nlmsg_type == NLMSG_ERROR) {
        nlmsgerr error{};
        if (payload.size() >= sizeof(error)) std::memcpy(&error, payload.data(), sizeof(error));
        return failWith(error.error == 0 ? EPROTO : -error.error, "NETLINK_SOCK_DIAG");
      }
      if (header.nlmsg_type != SOCK_DIAG_BY_FAMILY) continue;
      onMessage(payload);
      if (!dump) return {};
    }
  }
}

void forEachAttribute(std::span<const char> attributes,
                      const std::function<void(unsigned short type, std::span<const char> payload)>& onAttribute) {
  std::size_t at = 0;
  while (at + sizeof(rtattr) <= attributes.size()) {
    rtattr attribute{};
    std::memcpy(&attribute, attributes.data() + at, sizeof(attribute));
    if (attribute.rta_len < sizeof(rtattr) || at + attribute.rta_len > attributes.size()) break;
    onAttribute(attribute.rta_type, attributes.subspan(at + RTA_LENGTH(0), attribute.rta_len - RTA_LENGTH(0)));
    at += RTA_ALIGN(attribute.rta_len);
  }
}

}  // namespace sockspec::net
