#include "suites/stray_reply_witness.h"

#include <sys/socket.h>

#include <algorithm>

#include "net/socket_ops.h"

namespace sockspec::suites {

Expected<StrayReplyWitness, std::string> StrayReplyWitness::open(int clientFd) {
  auto local = net::localAddress(clientFd);
  if (!local) return Unexpected{local.error().describe()};
  // Both sockets must allow the shared port; the client's flag is read when the witness binds.
  if (auto reuse = net::setIntOption(clientFd, SOL_SOCKET, SO_REUSEADDR, 1); !reuse) {
    return Unexpected{reuse.error().describe()};
  }
  auto fd = net::openSocket(local->family(), SOCK_DGRAM, 0, net::Blocking::No);
  if (!fd) return Unexpected{fd.error().describe()};
  if (auto reuse = net::setIntOption(fd->get(), SOL_SOCKET, SO_REUSEADDR, 1); !reuse) {
    return Unexpected{reuse.error().describe()};
  }
  if (auto bound = net::bindSocket(fd->get(), *local); !bound) return Unexpected{bound.error().describe()};
  return StrayReplyWitness(std::move(*fd));
}

std::optional<StrayReply> StrayReplyWitness::takeQueued() {
  constexpr std::size_t kKept = 256;  // enough to show what it was
  StrayReply reply;
  reply.data.resize(kKept);
  auto received = net::recvFrom(m_fd.get(), reply.data, MSG_TRUNC | MSG_DONTWAIT);
  if (!received) return std::nullopt;  // EAGAIN: nothing came (another error: nothing to show either)
  reply.from = received->from;
  reply.fullSize = received->size;
  reply.data.resize(std::min(received->size, kKept));
  return reply;
}

}  // namespace sockspec::suites
