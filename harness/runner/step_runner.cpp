#include "runner/step_runner.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>
#include <vector>

#include "base/deadline.h"
#include "net/socket_ops.h"
#include "runner/read_step.h"
#include "runner/stream_sender.h"
#include "runner/time_wait_table.h"
#include "scenario/symbols.h"
#include "scenario/tcp_states.h"
#include "scenario/verbs.h"

namespace sockspec::runner {

namespace {

using scenario::Argument;
using scenario::Expectation;
using scenario::Step;
using scenario::Verb;

// fill: the most a single step queues, so that a kernel with huge buffers cannot make it run away.
constexpr std::size_t kFillLimit = 256 * 1024 * 1024;

// Repeats `transfer` (one send(2) or recv(2) with MSG_DONTWAIT, returning its result) until it would block
// (EAGAIN), the peer ends the stream (0), `limit` bytes have moved or `deadline` passes; EINTR repeats the
// call. Returns the bytes moved, or the errno of a call that failed otherwise.
template <typename Transfer>
Expected<std::size_t, int> transferUntilWouldBlock(Transfer transfer, std::size_t limit, Deadline deadline) {
  std::size_t total = 0;
  // Bounded by `limit` and the deadline.
  while (total < limit && !deadline.expired()) {
    ssize_t n = transfer();
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      return Unexpected{errno};
    }
    total += static_cast<std::size_t>(n);
  }
  return total;
}

class StepContext {
 public:
  StepContext(const Step& step, ScenarioSockets& sockets)
      : m_step(step),
        m_sockets(sockets),
        m_deadline(step.within.value_or(kDefaultStepDeadline)),
        m_probeOnly(step.expect.kind == Expectation::Kind::Blocks) {}

  Expected<StepOutcome, std::string> run();

 private:
  Expected<StepOutcome, std::string> dispatch();
  const Argument& argument(std::size_t index) const { return m_step.arguments[index]; }
  bool hasArgument(std::size_t index) const { return index < m_step.arguments.size(); }
  NamedSocket& socketArgument(std::size_t index) { return *m_sockets.find(argument(index).text); }
  // The MSG_* bits of the flag arguments from `from` on; a name the symbols table lacks is a scenario
  // error (the parser lets none through).
  Expected<int, std::string> flagArguments(std::size_t from) const;

  // Bounds the next blocking call on `socket` by the step's deadline (and any timeout the scenario set).
  void boundBlockingCall(NamedSocket& socket) const;
  StepOutcome fromCall(long returned, int err) const;

  // One handler per verb (run() dispatches); a few serve two verbs that differ in one argument.
  Expected<StepOutcome, std::string> doSocket();
  Expected<StepOutcome, std::string> doBind(bool toOther);
  Expected<StepOutcome, std::string> doListen();
  Expected<StepOutcome, std::string> doAccept();
  Expected<StepOutcome, std::string> doConnect(bool toTarget);
  Expected<StepOutcome, std::string> doSend(bool toPeer);
  Expected<StepOutcome, std::string> doSendFile();
  Expected<StepOutcome, std::string> doReceive(bool message);
  Expected<StepOutcome, std::string> doRead();
  Expected<StepOutcome, std::string> doShutdown();
  Expected<StepOutcome, std::string> doClose();
  Expected<StepOutcome, std::string> doSetOption();
  Expected<StepOutcome, std::string> doNonblocking();
  Expected<StepOutcome, std::string> doWait();
  Expected<StepOutcome, std::string> doFill();
  Expected<StepOutcome, std::string> doDrain();
  Expected<StepOutcome, std::string> doCheck();
  Expected<StepOutcome, std::string> doCounter();
  void refreshLocalAddress(NamedSocket& socket) const;

  const Step& m_step;
  ScenarioSockets& m_sockets;
  std::chrono::milliseconds m_deadline;
  bool m_probeOnly;  // "-> blocks": look whether the call would block, without blocking
};

Expected<int, std::string> StepContext::flagArguments(std::size_t from) const {
  int flags = 0;
  for (std::size_t i = from; i < m_step.arguments.size(); ++i) {
    const scenario::MessageFlag* flag = scenario::findMessageFlag(argument(i).text);
    if (flag == nullptr) return Unexpected{fmt::format("'{}' is not a MSG_* flag", argument(i).text)};
    flags |= flag->bit;
  }
  return flags;
}

timeval toTimeval(std::chrono::milliseconds duration) {
  auto count = duration.count();
  // A zero SO_RCVTIMEO/SO_SNDTIMEO means "never time out" (socket(7)): `within 0ms`, or a deadline already
  // spent, would block for good. The smallest timeout the kernel takes is one microsecond.
  if (count <= 0) return timeval{0, 1};
  return timeval{static_cast<time_t>(count / 1000), static_cast<suseconds_t>((count % 1000) * 1000)};
}

void StepContext::boundBlockingCall(NamedSocket& socket) const {
  if (!socket.fd || socket.nonblocking) return;
  auto bound = [&](int userMs) {
    return userMs > 0 ? std::min(m_deadline, std::chrono::milliseconds(userMs)) : m_deadline;
  };
  // socket(7): SO_RCVTIMEO bounds recv and accept, SO_SNDTIMEO bounds send and connect.
  timeval receive = toTimeval(bound(socket.userReceiveTimeoutMs));
  timeval send = toTimeval(bound(socket.userSendTimeoutMs));
  (void)::setsockopt(socket.fd.get(), SOL_SOCKET, SO_RCVTIMEO, &receive, sizeof(receive));
  (void)::setsockopt(socket.fd.get(), SOL_SOCKET, SO_SNDTIMEO, &send, sizeof(send));
}

StepOutcome StepContext::fromCall(long returned, int err) const {
  StepOutcome outcome;
  outcome.value = returned;
  if (returned < 0) {
    outcome.error = err;
    bool notReady = err == EAGAIN || err == EWOULDBLOCK || err == EINPROGRESS;
    if (m_probeOnly && notReady) outcome.wouldBlock = true;
  }
  return outcome;
}

void StepContext::refreshLocalAddress(NamedSocket& socket) const {
  net::SockAddr address;
  if (socket.fd && ::getsockname(socket.fd.get(), address.getMutable(), address.lengthInOut()) == 0) {
    socket.local = address;
  }
}

Expected<StepOutcome, std::string> StepContext::doSocket() {
  int mode = hasArgument(0) ? scenario::valueOf(scenario::socketModes(), argument(0).text).value_or(0) : 0;
  bool nonblocking = (mode & SOCK_NONBLOCK) != 0;
  int type = m_sockets.type() | SOCK_CLOEXEC | mode;
  int fd = ::socket(m_sockets.domain(), type, 0);
  int err = errno;
  if (fd < 0) return StepOutcome::failed(err);
  m_sockets.add(m_step.result, net::UniqueFd(fd), nonblocking);
  return StepOutcome{};
}

Expected<StepOutcome, std::string> StepContext::doBind(bool toOther) {
  NamedSocket& socket = socketArgument(0);
  net::SockAddr address;
  if (toOther) {
    const NamedSocket& other = socketArgument(1);
    if (other.local.length() == 0) {
      return Unexpected{fmt::format("'{}' has no address yet: bind it first", argument(1).text)};
    }
    address = other.local;
  } else {
    bool wildcard = hasArgument(1) && scenario::valueOf(scenario::bindAddresses(), argument(1).text) ==
                                          scenario::BindAddress::Any;
    address = m_sockets.freshAddress(argument(0).text, wildcard);
  }
  int rc = ::bind(socket.rawFd(), address.get(), address.length());
  int err = errno;
  if (rc == 0) refreshLocalAddress(socket);
  return fromCall(rc, err);
}

Expected<StepOutcome, std::string> StepContext::doListen() {
  NamedSocket& socket = socketArgument(0);
  int rc = ::listen(socket.rawFd(), static_cast<int>(argument(1).integer));
  int err = errno;
  if (rc == 0) refreshLocalAddress(socket);  // listen on an unbound socket autobinds
  return fromCall(rc, err);
}

Expected<StepOutcome, std::string> StepContext::doAccept() {
  NamedSocket& listener = socketArgument(0);
  int flags = SOCK_CLOEXEC;
  int fd = -1;
  int err = 0;
  if (m_probeOnly && listener.fd && !listener.nonblocking) {
    // Look without waiting: a blocking accept() with an empty queue is exactly what "blocks" means.
    pollfd entry{listener.fd.get(), POLLIN, 0};
    if (::poll(&entry, 1, 0) == 0) {
      StepOutcome outcome;
      outcome.wouldBlock = true;
      return outcome;
    }
  }
  boundBlockingCall(listener);
  fd = ::accept4(listener.rawFd(), nullptr, nullptr, flags);
  err = errno;
  if (fd < 0) {
    StepOutcome outcome = fromCall(-1, err);
    if (err == EAGAIN && !listener.nonblocking) {
      outcome.note = fmt::format("no connection within the step's deadline of {} ms", m_deadline.count());
    }
    return outcome;
  }
  NamedSocket& accepted = m_sockets.add(m_step.result, net::UniqueFd(fd), false);
  refreshLocalAddress(accepted);
  net::SockAddr peerAddress;
  if (::getpeername(fd, peerAddress.getMutable(), peerAddress.lengthInOut()) == 0) accepted.peer = peerAddress;
  return StepOutcome{};
}

Expected<StepOutcome, std::string> StepContext::doConnect(bool toTarget) {
  NamedSocket& socket = socketArgument(0);
  const net::SockAddr& address = toTarget ? m_sockets.target() : socketArgument(1).local;
  if (toTarget && address.length() == 0) {
    return Unexpected{std::string("connect-target: no server under test (run --target URL or --target-cmd CMD)")};
  }
  if (address.length() == 0) {
    return Unexpected{fmt::format("'{}' has no address to connect to: bind or listen it first", argument(1).text)};
  }
  bool toggled = false;
  if (m_probeOnly && socket.fd && !socket.nonblocking) {
    // "-> blocks": a non-blocking connect tells whether a blocking one would wait (EINPROGRESS for TCP,
    // EAGAIN for a full unix backlog, connect(2)); the TCP handshake then goes on in the background.
    (void)net::setNonBlocking(socket.fd.get(), true);
    toggled = true;
  } else {
    boundBlockingCall(socket);
  }
  int rc = ::connect(socket.rawFd(), address.get(), address.length());
  int err = errno;
  if (toggled) (void)net::setNonBlocking(socket.fd.get(), false);
  StepOutcome outcome = fromCall(rc, err);
  // A SYN went out to this address when connect() succeeded, is in progress, or was refused (by an RST) or
  // timed out; not when it failed at once (EISCONN, EBADF: the earlier peer stays).
  bool attempted = rc == 0 || err == EINPROGRESS || err == EAGAIN || err == ECONNREFUSED || err == ETIMEDOUT;
  if (attempted) socket.peer = address;
  if (rc < 0 && err == EINPROGRESS && !socket.nonblocking && !m_probeOnly) {
    outcome.note = fmt::format("the handshake did not complete within the step's deadline of {} ms",
                               m_deadline.count());
  }
  refreshLocalAddress(socket);
  return outcome;
}

Expected<StepOutcome, std::string> StepContext::doSend(bool toPeer) {
  NamedSocket& socket = socketArgument(0);
  const std::string& data = argument(1).text;
  auto named = toPeer ? Expected<int, std::string>(0) : flagArguments(2);
  if (!named) return Unexpected{named.error()};
  int flags = MSG_NOSIGNAL | *named;
  if (m_probeOnly) flags |= MSG_DONTWAIT;
  boundBlockingCall(socket);
  ssize_t n = 0;
  if (toPeer) {
    const NamedSocket& peer = socketArgument(2);
    if (peer.local.length() == 0) {
      return Unexpected{fmt::format("'{}' has no address to send to: bind it first", argument(2).text)};
    }
    n = ::sendto(socket.rawFd(), data.data(), data.size(), flags, peer.local.get(), peer.local.length());
  } else {
    n = ::send(socket.rawFd(), data.data(), data.size(), flags);
  }
  int err = errno;
  refreshLocalAddress(socket);  // a first sendto autobinds
  return fromCall(n, err);
}

Expected<StepOutcome, std::string> StepContext::doSendFile() {
  NamedSocket& socket = socketArgument(0);
  const std::string& data = argument(1).fileBytes;
  SendAll sent = sendAll(socket.rawFd(), data, Deadline::after(m_deadline), /*waitForRoom=*/!m_probeOnly);
  StepOutcome outcome;
  outcome.value = static_cast<std::int64_t>(sent.sent);
  if (sent.error == 0) return outcome;
  outcome = fromCall(-1, sent.error);
  outcome.note = fmt::format("after {} of the file's {} bytes{}", sent.sent, data.size(),
                             sent.error == EAGAIN && !m_probeOnly ? "; the step's deadline passed" : "");
  return outcome;
}

// The read verbs: a byte stream read as a protocol delimits its replies (runner/read_step.h).
Expected<StepOutcome, std::string> StepContext::doRead() {
  if (!m_sockets.isStream()) {
    return Unexpected{fmt::format("{} reads a byte stream; {} is none (recv reads a datagram)",
                                  scenario::verbName(m_step.verb), scenario::familyName(m_sockets.family()))};
  }
  NamedSocket& socket = socketArgument(0);
  pollfd entry{socket.rawFd(), POLLIN, 0};
  // "-> blocks": nothing at all to read yet (a closed socket is left to the read: EBADF).
  if (m_probeOnly && socket.fd && ::poll(&entry, 1, 0) == 0) {
    StepOutcome outcome;
    outcome.wouldBlock = true;
    return outcome;
  }
  return runReadStep(m_step, socket.rawFd(), m_deadline);
}

Expected<StepOutcome, std::string> StepContext::doReceive(bool message) {
  NamedSocket& socket = socketArgument(0);
  auto length = static_cast<std::size_t>(std::max<std::int64_t>(argument(1).integer, 0));
  auto named = flagArguments(2);
  if (!named) return Unexpected{named.error()};
  int flags = *named;
  if (m_probeOnly && (flags & (MSG_WAITALL | MSG_DONTWAIT)) == MSG_WAITALL && m_sockets.isStream() &&
      socket.fd && !socket.nonblocking && length > 0) {
    // A blocking MSG_WAITALL recv on a stream waits until all LENGTH bytes are there, unless the peer has
    // shut down (recv(2)); MSG_DONTWAIT would instead return, and consume, a partial count. Look without
    // consuming: fewer bytes than asked and no EOF or error pending means the call would block.
    std::vector<char> peeked(length);
    ssize_t available = ::recv(socket.fd.get(), peeked.data(), length, MSG_PEEK | MSG_DONTWAIT);
    pollfd entry{socket.fd.get(), POLLIN | POLLRDHUP, 0};
    bool ended = ::poll(&entry, 1, 0) > 0 && (entry.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
    if (available > 0 && static_cast<std::size_t>(available) < length && !ended) {
      StepOutcome outcome;
      outcome.wouldBlock = true;
      return outcome;
    }
  }
  if (m_probeOnly) flags |= MSG_DONTWAIT;
  boundBlockingCall(socket);
  std::vector<char> buffer(std::max<std::size_t>(length, 1));
  StepOutcome outcome;
  ssize_t n = 0;
  int err = 0;
  if (message) {
    iovec vector{buffer.data(), length};
    msghdr header{};
    header.msg_iov = &vector;
    header.msg_iovlen = 1;
    n = ::recvmsg(socket.rawFd(), &header, flags);
    err = errno;
    if (n >= 0) outcome.messageFlags = header.msg_flags;
  } else {
    n = ::recv(socket.rawFd(), buffer.data(), length, flags);
    err = errno;
  }
  if (n < 0) {
    StepOutcome failed = fromCall(n, err);
    if ((err == EAGAIN || err == EWOULDBLOCK) && !socket.nonblocking && !m_probeOnly) {
      failed.note = fmt::format("nothing arrived within the step's deadline of {} ms", m_deadline.count());
    }
    return failed;
  }
  outcome.value = n;
  if ((flags & MSG_TRUNC) != 0 && m_sockets.isTcp()) {
    // tcp(7): on TCP, MSG_TRUNC discards the bytes and returns their count; nothing reaches the buffer.
    outcome.bytes = std::string();
    outcome.note = "MSG_TRUNC on TCP discards the bytes (tcp(7))";
    return outcome;
  }
  // With MSG_TRUNC the return value can exceed what was copied (recv(2)): keep only the copied bytes.
  outcome.bytes = std::string(buffer.data(), std::min(static_cast<std::size_t>(n), length));
  return outcome;
}

Expected<StepOutcome, std::string> StepContext::doShutdown() {
  auto how = scenario::valueOf(scenario::shutdownHows(), argument(1).text);
  if (!how) return Unexpected{fmt::format("shutdown: '{}' is not rd, wr or rdwr", argument(1).text)};
  int rc = ::shutdown(socketArgument(0).rawFd(), *how);
  return fromCall(rc, errno);
}

Expected<StepOutcome, std::string> StepContext::doClose() {
  NamedSocket& socket = socketArgument(0);
  if (!socket.fd) return StepOutcome::failed(EBADF);  // what close(2) says of a closed descriptor
  int raw = socket.fd.release();
  int rc = ::close(raw);
  return fromCall(rc, errno);
}

// The option's level, optname and the shape of its value all come from its row in the symbols table; a
// name without a row never reaches setsockopt(2).
Expected<StepOutcome, std::string> StepContext::doSetOption() {
  NamedSocket& socket = socketArgument(0);
  const std::string& name = argument(1).text;
  const scenario::SocketOption* option = scenario::findSocketOption(name);
  if (option == nullptr) {
    return Unexpected{fmt::format("setsockopt: '{}' is not an option the runner knows", name)};
  }
  auto value = static_cast<int>(argument(2).integer);
  int second = hasArgument(3) ? static_cast<int>(argument(3).integer) : 0;
  int rc = 0;
  switch (option->value) {
    case scenario::OptionValue::Linger: {
      if (second > 5) {
        return Unexpected{fmt::format("{} longer than 5 s would let close() outwait the step", name)};
      }
      linger lingerValue{value, second};
      rc = ::setsockopt(socket.rawFd(), option->level, option->optname, &lingerValue, sizeof(lingerValue));
      break;
    }
    case scenario::OptionValue::TimeoutMs: {
      timeval timeout = toTimeval(std::chrono::milliseconds(value));
      rc = ::setsockopt(socket.rawFd(), option->level, option->optname, &timeout, sizeof(timeout));
      // Remembered so that the step deadlines (boundBlockingCall) never lengthen the scenario's own timeout.
      if (rc == 0) {
        (option->optname == SO_RCVTIMEO ? socket.userReceiveTimeoutMs : socket.userSendTimeoutMs) = value;
      }
      break;
    }
    case scenario::OptionValue::Integer:
      rc = ::setsockopt(socket.rawFd(), option->level, option->optname, &value, sizeof(value));
      break;
  }
  return fromCall(rc, errno);
}

Expected<StepOutcome, std::string> StepContext::doNonblocking() {
  NamedSocket& socket = socketArgument(0);
  int flags = ::fcntl(socket.rawFd(), F_GETFL);
  if (flags < 0) return StepOutcome::failed(errno);
  if (::fcntl(socket.rawFd(), F_SETFL, flags | O_NONBLOCK) < 0) return StepOutcome::failed(errno);
  socket.nonblocking = true;
  return StepOutcome{};
}

Expected<StepOutcome, std::string> StepContext::doWait() {
  NamedSocket& socket = socketArgument(0);
  auto readiness = scenario::valueOf(scenario::readinessEvents(), argument(1).text);
  if (!readiness) return Unexpected{fmt::format("wait: '{}' is not readable or writable", argument(1).text)};
  short events = *readiness;
  // poll(2) ignores a negative fd, so a closed name would wait out the deadline; a closed fd number gives
  // POLLNVAL, which is EBADF below.
  if (!socket.fd) return StepOutcome::failed(EBADF);
  Deadline deadline = Deadline::after(m_deadline);
  // Bounded by the deadline; EINTR only repeats the wait for the time left.
  for (;;) {
    pollfd entry{socket.rawFd(), events, 0};
    int rc = ::poll(&entry, 1, deadline.pollTimeoutMs());
    if (rc > 0) {
      if ((entry.revents & POLLNVAL) != 0) return StepOutcome::failed(EBADF);
      return StepOutcome{};
    }
    if (rc == 0 || (errno == EINTR && deadline.expired())) {
      StepOutcome outcome;
      outcome.wouldBlock = true;
      outcome.note = fmt::format("not {} within {} ms", argument(1).text, m_deadline.count());
      return outcome;
    }
    if (errno != EINTR) return StepOutcome::failed(errno);
  }
}

Expected<StepOutcome, std::string> StepContext::doFill() {
  NamedSocket& socket = socketArgument(0);
  std::vector<char> chunk(64 * 1024, 'f');
  auto total = transferUntilWouldBlock(
      [&] { return ::send(socket.rawFd(), chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL); },
      kFillLimit, Deadline::after(m_deadline));
  if (!total) return StepOutcome::failed(total.error());
  StepOutcome outcome;
  outcome.value = static_cast<std::int64_t>(*total);
  return outcome;
}

Expected<StepOutcome, std::string> StepContext::doDrain() {
  NamedSocket& socket = socketArgument(0);
  std::vector<char> chunk(64 * 1024);
  auto total = transferUntilWouldBlock(
      [&] { return ::recv(socket.rawFd(), chunk.data(), chunk.size(), MSG_DONTWAIT); },
      std::numeric_limits<std::size_t>::max(), Deadline::after(m_deadline));
  if (!total) return StepOutcome::failed(total.error());
  StepOutcome outcome;
  outcome.value = static_cast<std::int64_t>(*total);
  return outcome;
}

Expected<StepOutcome, std::string> StepContext::doCheck() {
  NamedSocket& socket = socketArgument(0);
  const std::string& what = argument(1).text;
  auto key = scenario::valueOf(scenario::checkKeys(), what);
  if (!key) return Unexpected{fmt::format("unknown check '{}'", what)};
  StepOutcome outcome;
  using scenario::CheckKey;
  switch (*key) {
    case CheckKey::AcceptQueue:
    case CheckKey::Backlog:
    case CheckKey::State: {
      if (!m_sockets.isTcp()) {
        return Unexpected{fmt::format("check {} reads TCP_INFO: TCP families only", what)};
      }
      tcp_info info{};
      socklen_t length = sizeof(info);
      if (::getsockopt(socket.rawFd(), IPPROTO_TCP, TCP_INFO, &info, &length) < 0) {
        return StepOutcome::failed(errno);
      }
      // On a listener, tcp_get_info() reports the accept queue in tcpi_unacked, the backlog in tcpi_sacked.
      if (*key == CheckKey::AcceptQueue) outcome.value = info.tcpi_unacked;
      if (*key == CheckKey::Backlog) outcome.value = info.tcpi_sacked;
      if (*key == CheckKey::State) outcome.word = std::string(scenario::tcpStateName(info.tcpi_state));
      return outcome;
    }
    case CheckKey::Error: {
      int value = 0;
      socklen_t length = sizeof(value);
      if (::getsockopt(socket.rawFd(), SOL_SOCKET, SO_ERROR, &value, &length) < 0) {
        return StepOutcome::failed(errno);
      }
      if (value != 0) return StepOutcome::failed(value);
      return outcome;
    }
    case CheckKey::ReadableBytes:
    case CheckKey::UnsentBytes: {
      int value = 0;
      if (::ioctl(socket.rawFd(), *key == CheckKey::ReadableBytes ? SIOCINQ : SIOCOUTQ, &value) < 0) {
        return StepOutcome::failed(errno);
      }
      outcome.value = value;
      return outcome;
    }
    case CheckKey::TimeWait: {
      if (!m_sockets.isTcp()) return Unexpected{fmt::format("check {}: TCP families only", what)};
      auto inTimeWait = hasTimeWaitEntry(socket.local);
      if (!inTimeWait) return Unexpected{inTimeWait.error()};
      outcome.word = *inTimeWait ? "yes" : "no";
      return outcome;
    }
  }
  return Unexpected{fmt::format("unknown check '{}'", what)};  // not reached: the switch covers CheckKey
}

// counter: /proc/net/netstat counts for the whole network namespace. Only in the scenario's own namespace
// (made by the runner for this job) is the value the scenario's doing, every counter starting at 0; in a
// shared one other programs and parallel scenarios add to it, so the step refuses to guess. The runner says
// so itself: the job has given up its capabilities, and comparing /proc/<parent>/ns/net would need
// ptrace access to the still-privileged parent (proc(5), ptrace(2) "Ptrace access mode checking").
Expected<StepOutcome, std::string> StepContext::doCounter() {
  const std::string& name = argument(0).text;
  if (!m_sockets.ownNetworkNamespace()) {
    return Unexpected{fmt::format("counter {}: needs the scenario's own network namespace (add 'requires netns')",
                                  name)};
  }
  std::ifstream netstat("/proc/net/netstat");
  if (!netstat) return Unexpected{std::string("/proc/net/netstat cannot be read")};
  std::string names;
  std::string values;
  // Bounded by the file: lines come in pairs, "TcpExt: Name..." then "TcpExt: 1 2 ...".
  while (std::getline(netstat, names) && std::getline(netstat, values)) {
    if (!names.starts_with("TcpExt:")) continue;
    std::istringstream nameFields(names);
    std::istringstream valueFields(values);
    std::string field;
    std::string value;
    while (nameFields >> field && valueFields >> value) {
      if (field != name) continue;
      StepOutcome outcome;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), outcome.value);
      if (ec != std::errc{} || end != value.data() + value.size()) break;
      return outcome;
    }
  }
  return Unexpected{fmt::format("counter {}: not in /proc/net/netstat", name)};
}

// A step that names a socket (`conn = accept server`) binds the name whatever its call gave: when the call
// failed, or only looked whether it would block, the name stands for a closed socket, so that later steps
// on it get EBADF as on a closed fd (docs/scenario-language.md) instead of finding no socket at all.
Expected<StepOutcome, std::string> StepContext::run() {
  auto outcome = dispatch();
  if (!m_step.result.empty() && m_sockets.find(m_step.result) == nullptr) {
    m_sockets.add(m_step.result, net::UniqueFd(), /*nonblocking=*/false);
  }
  return outcome;
}

// The verb -> handler table (as packetdrill's run_system_call.c): one case per Verb and no default, so that
// -Wswitch names a verb without a handler.
Expected<StepOutcome, std::string> StepContext::dispatch() {
  switch (m_step.verb) {
    case Verb::Socket: return doSocket();
    case Verb::Bind: return doBind(/*toOther=*/false);
    case Verb::BindTo: return doBind(/*toOther=*/true);
    case Verb::Listen: return doListen();
    case Verb::Accept: return doAccept();
    case Verb::Connect: return doConnect(/*toTarget=*/false);
    case Verb::ConnectTarget: return doConnect(/*toTarget=*/true);
    case Verb::Send: return doSend(/*toPeer=*/false);
    case Verb::SendTo: return doSend(/*toPeer=*/true);
    case Verb::SendFile:
      return doSendFile();
    case Verb::Recv: return doReceive(/*message=*/false);
    case Verb::RecvMsg: return doReceive(/*message=*/true);
    case Verb::ReadLine:
    case Verb::ReadUntil:
    case Verb::Read:
    case Verb::ReadEof:
    case Verb::ReadPrefixed:
      return doRead();
    case Verb::Shutdown: return doShutdown();
    case Verb::Close: return doClose();
    case Verb::SetSockOpt: return doSetOption();
    case Verb::Nonblocking: return doNonblocking();
    case Verb::Wait: return doWait();
    case Verb::Fill: return doFill();
    case Verb::Drain: return doDrain();
    case Verb::Check: return doCheck();
    case Verb::Counter: return doCounter();
    case Verb::Wire: break;  // checked on the captured packets by scenario_execution.cpp, not run here
  }
  return Unexpected{fmt::format("the runner does not know the verb '{}'", scenario::verbName(m_step.verb))};
}

}  // namespace

Expected<StepOutcome, std::string> runStep(const Step& step, ScenarioSockets& sockets) {
  return StepContext(step, sockets).run();
}

}  // namespace sockspec::runner
