#include "connection_close.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

#include "base/errno_names.h"
#include "net/socket_ops.h"

namespace sockspec::client {

Outcome resetConnection(net::UniqueFd& fd, const net::Endpoint& endpoint) {
  if (auto set = net::setAbortiveClose(fd.get()); !set) {
    auto failure = socketFailed(endpoint, set.error(), "abort");
    fd.reset();
    return failure;
  }
  return closeConnection(fd, endpoint);
}

Outcome shutdownWriting(int fd, const net::Endpoint& endpoint, std::string_view during,
                        std::string_view progress) {
  auto shut = net::shutdownSocket(fd, SHUT_WR);
  if (shut) return {};
  if (shut.error().code == ENOTCONN) {
    auto pending = net::pendingError(fd);
    if (pending && *pending != 0) {
      return serverFailed(fmt::format("{}: shutdown(SHUT_WR) found the connection reset: {} ({}){}", during,
                                      errnoName(*pending), errnoDescription(*pending),
                                      progress.empty() ? std::string() : " " + std::string(progress)));
    }
  }
  return socketFailed(endpoint, shut.error(), during, progress);
}

Outcome closeConnection(net::UniqueFd& fd, const net::Endpoint& endpoint) {
  if (!fd) return {};
  if (auto closed = net::closeSocket(fd); !closed) return socketFailed(endpoint, closed.error(), "close");
  return {};
}

}  // namespace sockspec::client
