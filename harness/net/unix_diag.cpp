#include "net/unix_diag.h"

#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <array>
#include <cstring>
#include <optional>
#include <span>

#include "net/sock_diag_query.h"

namespace sockspec::net {

namespace {

struct UnixDiagAnswer {
  std::optional<std::uint32_t> peerInode;
  std::optional<UnixPeerSendMemory> memory;
};

// An exact query (no NLM_F_DUMP) for the socket with this inode; INET_DIAG_NOCOOKIE skips the cookie check
// (sock_diag_check_cookie()).
Result<UnixDiagAnswer> queryUnixSocket(std::uint64_t inode, std::uint32_t show) {
  auto request = makeSockDiagRequest<unix_diag_req>(NLM_F_REQUEST);
  request.body.sdiag_family = AF_UNIX;
  request.body.udiag_states = ~0u;
  request.body.udiag_ino = static_cast<std::uint32_t>(inode);
  request.body.udiag_show = show;
  request.body.udiag_cookie[0] = INET_DIAG_NOCOOKIE;
  request.body.udiag_cookie[1] = INET_DIAG_NOCOOKIE;

  UnixDiagAnswer answer;
  auto answered = querySockDiag(std::as_bytes(std::span(&request, 1)), [&](std::span<const char> payload) {
    if (payload.size() < sizeof(unix_diag_msg)) return;
    std::size_t attributesAt = std::min<std::size_t>(NLMSG_ALIGN(sizeof(unix_diag_msg)), payload.size());
    forEachAttribute(payload.subspan(attributesAt), [&](unsigned short type, std::span<const char> value) {
      if (type == UNIX_DIAG_PEER && value.size() >= sizeof(std::uint32_t)) {
        std::uint32_t peer = 0;
        std::memcpy(&peer, value.data(), sizeof(peer));
        answer.peerInode = peer;
      } else if (type == UNIX_DIAG_MEMINFO && value.size() >= SK_MEMINFO_VARS * sizeof(std::uint32_t)) {
        std::array<std::uint32_t, SK_MEMINFO_VARS> meminfo{};
        std::memcpy(meminfo.data(), value.data(), sizeof(meminfo));
        answer.memory = UnixPeerSendMemory{meminfo[SK_MEMINFO_WMEM_ALLOC], meminfo[SK_MEMINFO_SNDBUF]};
      }
    });
  });
  if (!answered) return Unexpected{answered.error()};
  return answer;
}

}  // namespace

Result<UnixPeerSendMemory> unixPeerSendMemory(int fd) {
  struct stat status {};
  if (::fstat(fd, &status) < 0) return lastError("fstat");
  auto own = queryUnixSocket(status.st_ino, UDIAG_SHOW_PEER);
  if (!own) return Unexpected{own.error()};
  // A socket without a peer has no UNIX_DIAG_PEER attribute (sk_diag_dump_peer() skips it).
  if (!own->peerInode || *own->peerInode == 0) return failWith(ENOTCONN, "unix_diag(UDIAG_SHOW_PEER)");
  auto peer = queryUnixSocket(*own->peerInode, UDIAG_SHOW_MEMINFO);
  if (!peer) return Unexpected{peer.error()};
  if (!peer->memory) return failWith(EPROTO, "unix_diag(UDIAG_SHOW_MEMINFO)");
  return *peer->memory;
}

}  // namespace sockspec::net
