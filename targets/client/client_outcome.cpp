#include "client_outcome.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>

namespace sockspec::client {

namespace {

// Errors that only the peer (or the path to it) can cause on a connected socket: tcp(7), unix(7), and the
// SOCKET-FACTS close table (RST while ESTABLISHED -> ECONNRESET, after the peer's FIN -> EPIPE).
bool isPeerError(int code) {
  switch (code) {
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED:
    case ETIMEDOUT:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case ENETDOWN:
    case ENOTCONN:
    case ESHUTDOWN:
    case EPROTO:
      return true;
    default:
      return false;
  }
}

std::string withProgress(std::string text, std::string_view progress) {
  if (!progress.empty()) text += fmt::format(" {}", progress);
  return text;
}

}  // namespace

Unexpected<ClientFailure> socketFailed(const net::Endpoint& endpoint, const SysError& error,
                                       std::string_view during, std::string_view progress) {
  // A connected datagram socket learns of a closed port from ICMP (udp(7)) and of a vanished unix peer from
  // the kernel at once: either way nobody is there, like a refused connect.
  if (error.code == ECONNREFUSED || error.code == ENOENT) {
    return usageFailed(withProgress(fmt::format("{}: {}", endpoint.toString(), error.describe()), progress));
  }
  if (error.code == EMSGSIZE && error.call == "recvmsg") {
    return usageFailed(
        fmt::format("{}: a record longer than the --read-size buffer arrived{} and its end was lost "
                    "(recv(2), MSG_TRUNC); raise --read-size",
                    during, progress.empty() ? std::string() : " " + std::string(progress)));
  }
  if (error.code == EMSGSIZE) {
    return usageFailed(
        fmt::format("{}: {}: the datagram is larger than the transport allows "
                    "(use --chunk to split the input)",
                    during, error.describe()));
  }
  std::string text = withProgress(fmt::format("{}: {}", during, error.describe()), progress);
  if (isPeerError(error.code)) return serverFailed(std::move(text));
  return internalFailed(std::move(text));
}

Unexpected<ClientFailure> timedOut(std::chrono::milliseconds timeout, std::string_view what) {
  return serverFailed(fmt::format("timed out after {} ms {}", timeout.count(), what));
}

void printNote(std::string_view message) {
  fmt::print(stderr, "sockspec-client: note: {}\n", message);
}

}  // namespace sockspec::client
