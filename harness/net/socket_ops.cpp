#include "net/socket_ops.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <initializer_list>

#include "net/call_observer.h"

namespace sockspec::net {

namespace {

// Reports a finished call to the observer. The arguments are built only when there is one: formatting an
// address on every accept, connect and datagram would cost an allocation and a fmt call each, for nothing.
// Must run before anything else can change errno, so callers capture errno first and pass it in.
using Arguments = std::vector<CallArgument>;
template <typename MakeArguments>
void report(std::string_view call, int fd, std::int64_t result, int err, MakeArguments&& makeArguments) {
  CallObserver* observer = currentCallObserver();
  if (observer == nullptr) return;
  CallRecord record{call, fd, makeArguments(), result, result < 0 ? err : 0};
  observer->onCall(record);
}
void report(std::string_view call, int fd, std::int64_t result, int err) {
  report(call, fd, result, err, [] { return Arguments{}; });
}

// Named because the event log is read by people and by the lifecycle checks.
std::string familyName(int family) {
  switch (family) {
    case AF_INET: return "AF_INET";
    case AF_INET6: return "AF_INET6";
    case AF_UNIX: return "AF_UNIX";
    default: return std::to_string(family);
  }
}

std::string typeName(int type) {
  switch (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) {
    case SOCK_STREAM: return "SOCK_STREAM";
    case SOCK_DGRAM: return "SOCK_DGRAM";
    case SOCK_SEQPACKET: return "SOCK_SEQPACKET";
    default: return std::to_string(type);
  }
}

template <typename T>
Result<T> finish(std::string_view call, long returned, int err, T value) {
  if (returned < 0) return failWith(err, call);
  return value;
}

Result<void> finishVoid(std::string_view call, long returned, int err) {
  if (returned < 0) return failWith(err, call);
  return {};
}

std::int64_t asArgument(std::size_t value) { return static_cast<std::int64_t>(value); }

}  // namespace

Result<UniqueFd> openSocket(int family, int type, int protocol, Blocking blocking) {
  int flags = SOCK_CLOEXEC | (blocking == Blocking::No ? SOCK_NONBLOCK : 0);
  int fd = ::socket(family, type | flags, protocol);
  int err = errno;
  report("socket", -1, fd, err, [&] {
    return Arguments{
        {"family", familyName(family)}, {"type", typeName(type)}, {"nonblocking", blocking == Blocking::No}};
  });
  if (fd < 0) return failWith(err, "socket");
  return UniqueFd(fd);
}

Result<void> bindSocket(int fd, const SockAddr& address) {
  int rc = ::bind(fd, address.get(), address.length());
  int err = errno;
  report("bind", fd, rc, err, [&] { return Arguments{{"address", address.toString()}}; });
  return finishVoid("bind", rc, err);
}

Result<void> listenSocket(int fd, int backlog) {
  int rc = ::listen(fd, backlog);
  int err = errno;
  report("listen", fd, rc, err, [&] { return Arguments{{"backlog", backlog}}; });
  return finishVoid("listen", rc, err);
}

Result<AcceptedConnection> acceptConnection(int fd, Blocking blocking) {
  AcceptedConnection accepted;
  int flags = SOCK_CLOEXEC | (blocking == Blocking::No ? SOCK_NONBLOCK : 0);
  int newFd = ::accept4(fd, accepted.peer.getMutable(), accepted.peer.lengthInOut(), flags);
  int err = errno;
  if (newFd < 0) accepted.peer.setLength(0);
  report("accept", fd, newFd, err, [&] {
    return Arguments{{"peer", newFd < 0 ? std::string() : accepted.peer.toString()}};
  });
  if (newFd < 0) return failWith(err, "accept");
  accepted.fd.reset(newFd);
  return accepted;
}

Result<void> connectSocket(int fd, const SockAddr& address) {
  int rc = ::connect(fd, address.get(), address.length());
  int err = errno;
  report("connect", fd, rc, err, [&] { return Arguments{{"address", address.toString()}}; });
  return finishVoid("connect", rc, err);
}

Result<std::size_t> sendBytes(int fd, Bytes data, int flags) {
  ssize_t n = ::send(fd, data.data(), data.size(), flags);
  int err = errno;
  report("send", fd, n, err, [&] { return Arguments{{"length", asArgument(data.size())}, {"flags", flags}}; });
  return finish("send", n, err, static_cast<std::size_t>(n));
}

Result<std::size_t> recvBytes(int fd, MutableBytes buffer, int flags) {
  ssize_t n = ::recv(fd, buffer.data(), buffer.size(), flags);
  int err = errno;
  report("recv", fd, n, err, [&] { return Arguments{{"length", asArgument(buffer.size())}, {"flags", flags}}; });
  return finish("recv", n, err, static_cast<std::size_t>(n));
}

Result<std::size_t> sendTo(int fd, Bytes data, const SockAddr& to, int flags) {
  ssize_t n = ::sendto(fd, data.data(), data.size(), flags, to.get(), to.length());
  int err = errno;
  report("sendto", fd, n, err, [&] {
    return Arguments{{"length", asArgument(data.size())}, {"flags", flags}, {"to", to.toString()}};
  });
  return finish("sendto", n, err, static_cast<std::size_t>(n));
}

Result<ReceivedDatagram> recvFrom(int fd, MutableBytes buffer, int flags) {
  ReceivedDatagram received;
  ssize_t n = ::recvfrom(fd, buffer.data(), buffer.size(), flags, received.from.getMutable(),
                         received.from.lengthInOut());
  int err = errno;
  if (n < 0) received.from.setLength(0);
  report("recvfrom", fd, n, err, [&] {
    return Arguments{
        {"length", asArgument(buffer.size())}, {"flags", flags}, {"from", n < 0 ? "" : received.from.toString()}};
  });
  if (n < 0) return failWith(err, "recvfrom");
  received.size = static_cast<std::size_t>(n);
  return received;
}

Result<std::size_t> sendMessage(int fd, const msghdr& message, int flags) {
  ssize_t n = ::sendmsg(fd, &message, flags);
  int err = errno;
  report("sendmsg", fd, n, err, [&] {
    return Arguments{{"iovlen", asArgument(message.msg_iovlen)}, {"flags", flags}};
  });
  return finish("sendmsg", n, err, static_cast<std::size_t>(n));
}

Result<ReceivedMessage> recvMessage(int fd, msghdr& message, int flags) {
  ssize_t n = ::recvmsg(fd, &message, flags);
  int err = errno;
  report("recvmsg", fd, n, err, [&] {
    return Arguments{
        {"iovlen", asArgument(message.msg_iovlen)}, {"flags", flags}, {"msg_flags", n < 0 ? 0 : message.msg_flags}};
  });
  if (n < 0) return failWith(err, "recvmsg");
  return ReceivedMessage{static_cast<std::size_t>(n), message.msg_flags};
}

Result<ReceivedMessage> recvMessageInto(int fd, MutableBytes buffer, int flags) {
  iovec vector{buffer.data(), buffer.size()};
  msghdr message{};
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  return recvMessage(fd, message, flags);
}

Result<void> shutdownSocket(int fd, int how) {
  int rc = ::shutdown(fd, how);
  int err = errno;
  const char* howName = how == SHUT_RD ? "SHUT_RD" : how == SHUT_WR ? "SHUT_WR" : "SHUT_RDWR";
  report("shutdown", fd, rc, err, [&] { return Arguments{{"how", std::string(howName)}}; });
  return finishVoid("shutdown", rc, err);
}

Result<void> closeSocket(UniqueFd& fd) {
  int raw = fd.release();
  int rc = ::close(raw);
  int err = errno;
  report("close", raw, rc, err);
  return finishVoid("close", rc, err);
}

Result<void> setSocketOption(int fd, int level, int name, const void* value, socklen_t length) {
  int rc = ::setsockopt(fd, level, name, value, length);
  int err = errno;
  report("setsockopt", fd, rc, err, [&] { return Arguments{{"level", level}, {"name", name}}; });
  return finishVoid("setsockopt", rc, err);
}

Result<void> getSocketOption(int fd, int level, int name, void* value, socklen_t* length) {
  int rc = ::getsockopt(fd, level, name, value, length);
  int err = errno;
  report("getsockopt", fd, rc, err, [&] { return Arguments{{"level", level}, {"name", name}}; });
  return finishVoid("getsockopt", rc, err);
}

Result<void> setIntOption(int fd, int level, int name, int value) {
  return setSocketOption(fd, level, name, &value, sizeof(value));
}

Result<int> getIntOption(int fd, int level, int name) {
  int value = 0;
  socklen_t length = sizeof(value);
  auto got = getSocketOption(fd, level, name, &value, &length);
  if (!got) return Unexpected{got.error()};
  return value;
}

Result<void> setAbortiveClose(int fd) {
  linger option{1, 0};
  return setSocketOption(fd, SOL_SOCKET, SO_LINGER, &option, sizeof(option));
}

Result<SockAddr> localAddress(int fd) {
  SockAddr address;
  int rc = ::getsockname(fd, address.getMutable(), address.lengthInOut());
  int err = errno;
  report("getsockname", fd, rc, err);
  return finish("getsockname", rc, err, address);
}

Result<SockAddr> peerAddress(int fd) {
  SockAddr address;
  int rc = ::getpeername(fd, address.getMutable(), address.lengthInOut());
  int err = errno;
  report("getpeername", fd, rc, err);
  return finish("getpeername", rc, err, address);
}

Result<int> pendingError(int fd) { return getIntOption(fd, SOL_SOCKET, SO_ERROR); }

Result<void> setNonBlocking(int fd, bool nonBlocking) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0) return lastError("fcntl");
  flags = nonBlocking ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (::fcntl(fd, F_SETFL, flags) < 0) return lastError("fcntl");
  return {};
}

}  // namespace sockspec::net
