// The socket layer: one free function per syscall, each returning a Result that carries errno and the
// call's name. Nothing here retries, logs or throws; every call is reported to the CallObserver, if any.
// Sockets are always created close-on-exec; sends default to MSG_NOSIGNAL so that a closed peer gives
// EPIPE instead of killing the process with SIGPIPE (send(2)).
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "base/sys_error.h"
#include "net/sock_addr.h"
#include "net/unique_fd.h"

namespace sockspec::net {

using Bytes = std::span<const std::uint8_t>;
using MutableBytes = std::span<std::uint8_t>;

inline Bytes asBytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}
inline std::string_view asText(Bytes bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

enum class Blocking { Yes, No };

// socket(2) with SOCK_CLOEXEC, and SOCK_NONBLOCK for Blocking::No.
Result<UniqueFd> openSocket(int family, int type, int protocol = 0, Blocking blocking = Blocking::Yes);
Result<void> bindSocket(int fd, const SockAddr& address);
Result<void> listenSocket(int fd, int backlog);

struct AcceptedConnection {
  UniqueFd fd;
  SockAddr peer;
};
// accept4(2) with SOCK_CLOEXEC, and SOCK_NONBLOCK for Blocking::No.
Result<AcceptedConnection> acceptConnection(int fd, Blocking blocking = Blocking::No);

// connect(2). On a non-blocking socket EINPROGRESS comes back as the error: wait for writability, then
// read pendingError().
Result<void> connectSocket(int fd, const SockAddr& address);

Result<std::size_t> sendBytes(int fd, Bytes data, int flags = MSG_NOSIGNAL);
Result<std::size_t> recvBytes(int fd, MutableBytes buffer, int flags = 0);
Result<std::size_t> sendTo(int fd, Bytes data, const SockAddr& to, int flags = MSG_NOSIGNAL);

struct ReceivedDatagram {
  std::size_t size = 0;  // bytes returned: the datagram's full length when MSG_TRUNC was passed in
  SockAddr from;
};
Result<ReceivedDatagram> recvFrom(int fd, MutableBytes buffer, int flags = 0);

Result<std::size_t> sendMessage(int fd, const msghdr& message, int flags = MSG_NOSIGNAL);
struct ReceivedMessage {
  std::size_t size = 0;
  int flags = 0;  // msghdr.msg_flags on return: MSG_TRUNC, MSG_CTRUNC, MSG_EOR, ...
};
Result<ReceivedMessage> recvMessage(int fd, msghdr& message, int flags = 0);

// recvmsg(2) into one buffer, reporting MSG_TRUNC in `flags`: the way to see datagram truncation.
Result<ReceivedMessage> recvMessageInto(int fd, MutableBytes buffer, int flags = 0);

Result<void> shutdownSocket(int fd, int how);

// close(2) now, reporting its result; `fd` is empty afterwards whatever the result (close(2) NOTES).
Result<void> closeSocket(UniqueFd& fd);

Result<void> setSocketOption(int fd, int level, int name, const void* value, socklen_t length);
Result<void> getSocketOption(int fd, int level, int name, void* value, socklen_t* length);
Result<void> setIntOption(int fd, int level, int name, int value);
Result<int> getIntOption(int fd, int level, int name);

// SO_LINGER {on, 0}: the next close() sends RST instead of FIN (socket(7), tcp_close()).
Result<void> setAbortiveClose(int fd);

Result<SockAddr> localAddress(int fd);
Result<SockAddr> peerAddress(int fd);
// SO_ERROR: the outcome of a non-blocking connect (0 when it succeeded).
Result<int> pendingError(int fd);
Result<void> setNonBlocking(int fd, bool nonBlocking);

}  // namespace sockspec::net
