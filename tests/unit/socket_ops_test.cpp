// The socket layer against the real kernel: each failing call must come back with the errno Linux gives
// (SOCKET-FACTS.md, "Lifecycle"), named after the call, and be reported to the CallObserver.
#include "net/socket_ops.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include <catch2/catch.hpp>

#include "base/errno_names.h"
#include "net/call_observer.h"
#include "support/built_programs.h"
#include "unit/loopback_fixtures.h"

namespace sockspec {
namespace {

using namespace std::chrono_literals;
using net::asBytes;
using net::asText;
using net::Blocking;
using testing::callAndErrnoOf;
using testing::errnoOf;
using testing::openOrFail;
using testing::sockAddrOf;

net::SockAddr unixAddress(const std::string& path) {
  return sockAddrOf("unix://" + path);
}

// A connected AF_UNIX pair, both ends non-blocking; socketpair(2) has no wrapper in the socket layer.
std::pair<net::UniqueFd, net::UniqueFd> unixPair(int type) {
  int fds[2] = {-1, -1};
  REQUIRE(::socketpair(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) == 0);
  return {net::UniqueFd(fds[0]), net::UniqueFd(fds[1])};
}

// Blocks SIGPIPE for the scope, so that a send that raises it leaves it pending (a thread-directed signal,
// send(2)) instead of killing the test; any pending SIGPIPE is consumed before the mask is restored.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&m_pipe);
    sigaddset(&m_pipe, SIGPIPE);
    REQUIRE(::pthread_sigmask(SIG_BLOCK, &m_pipe, &m_previous) == 0);
    drain();
  }
  ~SigpipeBlocked() {
    drain();
    ::pthread_sigmask(SIG_SETMASK, &m_previous, nullptr);
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

  bool pending() const {
    sigset_t set;
    sigemptyset(&set);
    ::sigpending(&set);
    return sigismember(&set, SIGPIPE) == 1;
  }
  void drain() {
    timespec zero{};
    while (::sigtimedwait(&m_pipe, nullptr, &zero) == SIGPIPE) {
    }
  }

 private:
  sigset_t m_pipe{};
  sigset_t m_previous{};
};

struct SeenCall {
  std::string call;
  int fd;
  std::int64_t result;
  int errnoCode;
  std::vector<std::pair<std::string, std::string>> arguments;

  std::string argument(std::string_view name) const {
    for (const auto& [key, value] : arguments) {
      if (key == name) return value;
    }
    return "(absent)";
  }
};

class RecordingObserver final : public net::CallObserver {
 public:
  void onCall(const net::CallRecord& record) override {
    SeenCall seen{std::string(record.call), record.fd, record.result, record.errnoCode, {}};
    for (const auto& argument : record.arguments) {
      std::string value = std::holds_alternative<std::string>(argument.value)
                              ? std::get<std::string>(argument.value)
                              : std::to_string(std::get<std::int64_t>(argument.value));
      seen.arguments.emplace_back(std::string(argument.name), value);
    }
    calls.push_back(std::move(seen));
  }
  std::vector<SeenCall> calls;
};

class InstalledObserver {
 public:
  explicit InstalledObserver(net::CallObserver* observer) { net::setCallObserver(observer); }
  ~InstalledObserver() { net::setCallObserver(nullptr); }
  InstalledObserver(const InstalledObserver&) = delete;
  InstalledObserver& operator=(const InstalledObserver&) = delete;
};

TEST_CASE("bind to a TCP port that a listener holds fails with EADDRINUSE", "[socket_ops][bind]") {
  auto listener = testing::tcpListener();
  auto second = openOrFail(AF_INET, SOCK_STREAM);
  // SO_REUSEADDR on the new socket does not help against a live listener (SOCKET-FACTS.md, Close).
  auto reuseAddress = GENERATE(0, 1);
  CAPTURE(reuseAddress);
  REQUIRE(net::setIntOption(second.get(), SOL_SOCKET, SO_REUSEADDR, reuseAddress));
  CHECK(callAndErrnoOf(net::bindSocket(second.get(), listener.address)) == "bind EADDRINUSE");
}

TEST_CASE("bind to a unix path that exists fails with EADDRINUSE", "[socket_ops][bind][unix]") {
  std::string path = testing::tempSocketPath("in-use");
  auto first = openOrFail(AF_UNIX, SOCK_STREAM);
  REQUIRE(net::bindSocket(first.get(), unixAddress(path)));
  // Closing the first socket does not free the name: its file stays (unix(7)).
  auto closeFirst = GENERATE(false, true);
  CAPTURE(closeFirst);
  if (closeFirst) REQUIRE(net::closeSocket(first));
  REQUIRE(::access(path.c_str(), F_OK) == 0);
  auto second = openOrFail(AF_UNIX, SOCK_STREAM);
  CHECK(callAndErrnoOf(net::bindSocket(second.get(), unixAddress(path))) == "bind EADDRINUSE");
}

TEST_CASE("bind twice, or on a listener, fails with EINVAL", "[socket_ops][bind]") {
  auto fd = openOrFail(AF_INET, SOCK_STREAM);
  REQUIRE(net::bindSocket(fd.get(), sockAddrOf("tcp://127.0.0.1:0")));
  auto listening = GENERATE(false, true);
  CAPTURE(listening);
  if (listening) REQUIRE(net::listenSocket(fd.get(), 1));
  CHECK(callAndErrnoOf(net::bindSocket(fd.get(), sockAddrOf("tcp://127.0.0.1:0"))) == "bind EINVAL");
}

TEST_CASE("connect to a loopback port nobody listens on is refused", "[socket_ops][connect]") {
  // Bound but not listening refuses like a closed port (SOCKET-FACTS.md, Lifecycle); keeping the socket
  // open also keeps a test running in parallel from taking the port between finding it and connecting.
  auto holder = openOrFail(AF_INET, SOCK_STREAM);
  REQUIRE(net::bindSocket(holder.get(), sockAddrOf("tcp://127.0.0.1:0")));
  auto port = net::localAddress(holder.get());
  REQUIRE(port);
  net::SockAddr target = *port;
  auto closeHolder = GENERATE(false, true);  // bound but not listening, or closed
  CAPTURE(closeHolder);
  if (closeHolder) REQUIRE(net::closeSocket(holder));

  auto client = openOrFail(AF_INET, SOCK_STREAM, Blocking::Yes);
  testing::boundBlockingCalls(client.get(), 2s);
  auto connected = net::connectSocket(client.get(), target);
  REQUIRE_FALSE(connected);
  CHECK(connected.error().describe() == "connect: ECONNREFUSED (Connection refused)");
}

TEST_CASE("a non-blocking connect to a closed port reports ECONNREFUSED through SO_ERROR",
          "[socket_ops][connect]") {
  auto holder = openOrFail(AF_INET, SOCK_STREAM);
  REQUIRE(net::bindSocket(holder.get(), sockAddrOf("tcp://127.0.0.1:0")));
  auto port = net::localAddress(holder.get());
  REQUIRE(port);

  auto client = openOrFail(AF_INET, SOCK_STREAM, Blocking::No);
  auto connected = net::connectSocket(client.get(), *port);
  REQUIRE_FALSE(connected);
  if (connected.error().code != ECONNREFUSED) {
    REQUIRE(callAndErrnoOf(connected) == "connect EINPROGRESS");
    auto ready = net::waitWritable(client.get(), Deadline::after(2s));
    REQUIRE(ready);
    REQUIRE(*ready == net::Readiness::Ready);
    auto outcome = net::pendingError(client.get());
    REQUIRE(outcome);
    CHECK(errnoName(*outcome) == "ECONNREFUSED");
  }
}

TEST_CASE("connect to a unix path with no listener", "[socket_ops][connect][unix]") {
  std::string path = testing::tempSocketPath("no-listener");
  auto client = openOrFail(AF_UNIX, SOCK_STREAM);
  SECTION("a path left by a closed socket is refused") {
    auto server = openOrFail(AF_UNIX, SOCK_STREAM);
    REQUIRE(net::bindSocket(server.get(), unixAddress(path)));
    REQUIRE(net::closeSocket(server));
    CHECK(callAndErrnoOf(net::connectSocket(client.get(), unixAddress(path))) == "connect ECONNREFUSED");
  }
  SECTION("a path that does not exist gives ENOENT") {
    CHECK(callAndErrnoOf(net::connectSocket(client.get(), unixAddress(path))) == "connect ENOENT");
  }
}

TEST_CASE("connect twice fails with EISCONN", "[socket_ops][connect]") {
  SECTION("blocking TCP: the first connect succeeds, the second fails") {
    auto listener = testing::tcpListener();
    auto client = openOrFail(AF_INET, SOCK_STREAM, Blocking::Yes);
    testing::boundBlockingCalls(client.get(), 2s);
    REQUIRE(net::connectSocket(client.get(), listener.address));
    CHECK(callAndErrnoOf(net::connectSocket(client.get(), listener.address)) == "connect EISCONN");
  }
  SECTION("non-blocking TCP: after the handshake the next connect returns 0, the one after EISCONN") {
    // __inet_stream_connect(): SS_CONNECTING becomes SS_CONNECTED only inside a later connect() call.
    auto pair = testing::connectedTcpPair();
    CHECK(callAndErrnoOf(net::connectSocket(pair.client.get(), pair.listener.address)) == "no error");
    CHECK(callAndErrnoOf(net::connectSocket(pair.client.get(), pair.listener.address)) == "connect EISCONN");
  }
  SECTION("a unix socketpair is connected from the start") {
    // A listener must exist: unix_stream_connect() looks the path up before it checks the socket's state.
    std::string path = testing::tempSocketPath("eisconn");
    auto listener = openOrFail(AF_UNIX, SOCK_STREAM);
    REQUIRE(net::bindSocket(listener.get(), unixAddress(path)));
    REQUIRE(net::listenSocket(listener.get(), 1));
    auto [left, right] = unixPair(SOCK_STREAM);
    CHECK(callAndErrnoOf(net::connectSocket(left.get(), unixAddress(path))) == "connect EISCONN");
  }
}

TEST_CASE("accept before listen fails with EINVAL", "[socket_ops][accept]") {
  auto fd = openOrFail(AF_INET, SOCK_STREAM);
  auto bound = GENERATE(false, true);
  CAPTURE(bound);
  if (bound) REQUIRE(net::bindSocket(fd.get(), sockAddrOf("tcp://127.0.0.1:0")));
  CHECK(callAndErrnoOf(net::acceptConnection(fd.get(), Blocking::No)) == "accept EINVAL");
}

TEST_CASE("non-blocking calls with nothing to do fail with EAGAIN", "[socket_ops][nonblocking]") {
  SECTION("accept with an empty queue") {
    auto listener = testing::tcpListener();
    CHECK(callAndErrnoOf(net::acceptConnection(listener.fd.get(), Blocking::No)) == "accept EAGAIN");
  }
  SECTION("recv on a TCP connection with no data") {
    auto pair = testing::connectedTcpPair();
    std::array<std::uint8_t, 16> buffer{};
    CHECK(callAndErrnoOf(net::recvBytes(pair.client.get(), buffer)) == "recv EAGAIN");
    CHECK(callAndErrnoOf(net::recvBytes(pair.server.get(), buffer)) == "recv EAGAIN");
  }
  SECTION("recv on a unix socketpair with no data") {
    auto [left, right] = unixPair(SOCK_STREAM);
    std::array<std::uint8_t, 16> buffer{};
    CHECK(callAndErrnoOf(net::recvBytes(left.get(), buffer)) == "recv EAGAIN");
  }
}

TEST_CASE("send on a TCP socket that never connected fails with EPIPE and no SIGPIPE", "[socket_ops][send]") {
  SigpipeBlocked blocked;
  auto fd = openOrFail(AF_INET, SOCK_STREAM);
  SECTION("the default flags include MSG_NOSIGNAL") {
    CHECK(callAndErrnoOf(net::sendBytes(fd.get(), asBytes("x"))) == "send EPIPE");
    CHECK_FALSE(blocked.pending());
  }
  SECTION("without MSG_NOSIGNAL the kernel raises SIGPIPE (so the check above can fail)") {
    CHECK(callAndErrnoOf(net::sendBytes(fd.get(), asBytes("x"), 0)) == "send EPIPE");
    CHECK(blocked.pending());
  }
}

TEST_CASE("send after the peer closed fails with EPIPE and no SIGPIPE", "[socket_ops][send]") {
  SigpipeBlocked blocked;
  SECTION("TCP: the first send draws an RST, a later one fails") {
    auto pair = testing::connectedTcpPair();
    REQUIRE(net::closeSocket(pair.server));  // nothing unread: a FIN, not an RST
    auto deadline = Deadline::after(2s);
    // See the FIN first, so the socket is in CLOSE_WAIT and the RST gives EPIPE (tcp_reset()).
    auto readable = net::waitReadable(pair.client.get(), deadline);
    REQUIRE(readable);
    REQUIRE(*readable == net::Readiness::Ready);
    std::array<std::uint8_t, 8> buffer{};
    auto eof = net::recvBytes(pair.client.get(), buffer);
    REQUIRE(eof);
    REQUIRE(*eof == 0);

    auto sent = net::sendBytes(pair.client.get(), asBytes("x"));
    int accepted = 0;
    while (sent && !deadline.expired()) {
      ++accepted;
      std::this_thread::sleep_for(5ms);
      sent = net::sendBytes(pair.client.get(), asBytes("x"));
    }
    CHECK(accepted >= 1);  // send(2) only queues: the closed peer answers the first one with an RST
    CHECK(callAndErrnoOf(sent) == "send EPIPE");
    CHECK(callAndErrnoOf(net::sendBytes(pair.client.get(), asBytes("x"))) == "send EPIPE");
  }
  SECTION("unix socketpair: the first send fails") {
    auto [left, right] = unixPair(SOCK_STREAM);
    right.reset();
    CHECK(callAndErrnoOf(net::sendBytes(left.get(), asBytes("x"))) == "send EPIPE");
  }
  CHECK_FALSE(blocked.pending());
}

TEST_CASE("calls on a closed fd fail with EBADF", "[socket_ops][ebadf]") {
  auto fd = openOrFail(AF_INET, SOCK_STREAM);
  int raw = fd.get();
  REQUIRE(net::closeSocket(fd));
  CHECK_FALSE(fd);
  CHECK(fd.get() == -1);
  // Nothing reused the number since (this test is single-threaded), so every call below sees a closed fd.
  REQUIRE(::fcntl(raw, F_GETFD) == -1);

  std::array<std::uint8_t, 4> buffer{};
  CHECK(callAndErrnoOf(net::sendBytes(raw, asBytes("x"))) == "send EBADF");
  CHECK(callAndErrnoOf(net::recvBytes(raw, buffer)) == "recv EBADF");
  CHECK(callAndErrnoOf(net::bindSocket(raw, sockAddrOf("tcp://127.0.0.1:0"))) == "bind EBADF");
  CHECK(callAndErrnoOf(net::listenSocket(raw, 1)) == "listen EBADF");
  CHECK(callAndErrnoOf(net::acceptConnection(raw)) == "accept EBADF");
  CHECK(callAndErrnoOf(net::connectSocket(raw, sockAddrOf("tcp://127.0.0.1:9"))) == "connect EBADF");
  CHECK(callAndErrnoOf(net::shutdownSocket(raw, SHUT_RDWR)) == "shutdown EBADF");
  CHECK(callAndErrnoOf(net::localAddress(raw)) == "getsockname EBADF");
  CHECK(callAndErrnoOf(net::pendingError(raw)) == "getsockopt EBADF");
  net::UniqueFd again(raw);
  CHECK(callAndErrnoOf(net::closeSocket(again)) == "close EBADF");
  CHECK_FALSE(again);  // released whatever close returned
}

TEST_CASE("recv, getpeername and shutdown on an unconnected TCP socket fail with ENOTCONN",
          "[socket_ops][enotconn]") {
  auto fd = openOrFail(AF_INET, SOCK_STREAM);
  auto bound = GENERATE(false, true);
  CAPTURE(bound);
  if (bound) REQUIRE(net::bindSocket(fd.get(), sockAddrOf("tcp://127.0.0.1:0")));
  std::array<std::uint8_t, 4> buffer{};
  CHECK(callAndErrnoOf(net::recvBytes(fd.get(), buffer)) == "recv ENOTCONN");
  CHECK(callAndErrnoOf(net::peerAddress(fd.get())) == "getpeername ENOTCONN");
  CHECK(callAndErrnoOf(net::shutdownSocket(fd.get(), SHUT_WR)) == "shutdown ENOTCONN");
}

TEST_CASE("UDP send without a destination fails with EDESTADDRREQ", "[socket_ops][udp]") {
  auto fd = openOrFail(AF_INET, SOCK_DGRAM);
  CHECK(callAndErrnoOf(net::sendBytes(fd.get(), asBytes("x"))) == "send EDESTADDRREQ");

  auto receiver = openOrFail(AF_INET, SOCK_DGRAM);
  REQUIRE(net::bindSocket(receiver.get(), sockAddrOf("udp://127.0.0.1:0")));
  auto to = net::localAddress(receiver.get());
  REQUIRE(to);
  SECTION("sendto with an address works on the same socket") {
    auto sent = net::sendTo(fd.get(), asBytes("x"), *to);
    REQUIRE(sent);
    CHECK(*sent == 1);
  }
  SECTION("a datagram over 65507 bytes fails with EMSGSIZE") {
    std::vector<std::uint8_t> big(70000, 'b');
    CHECK(callAndErrnoOf(net::sendTo(fd.get(), big, *to)) == "sendto EMSGSIZE");
  }
}

TEST_CASE("a datagram read into a small buffer is truncated and flagged MSG_TRUNC",
          "[socket_ops][udp][truncation]") {
  auto deadline = Deadline::after(2s);
  net::UniqueFd receiver;
  net::UniqueFd sender;
  auto sendTwo = [&](auto&& send) {
    REQUIRE(send("0123456789"));
    REQUIRE(send("abc"));
  };
  SECTION("UDP over loopback") {
    receiver = openOrFail(AF_INET, SOCK_DGRAM);
    REQUIRE(net::bindSocket(receiver.get(), sockAddrOf("udp://127.0.0.1:0")));
    auto to = net::localAddress(receiver.get());
    REQUIRE(to);
    sender = openOrFail(AF_INET, SOCK_DGRAM);
    sendTwo([&](std::string_view text) { return bool(net::sendTo(sender.get(), asBytes(text), *to)); });
  }
  SECTION("AF_UNIX datagram socketpair") {
    std::tie(receiver, sender) = unixPair(SOCK_DGRAM);
    sendTwo([&](std::string_view text) { return bool(net::sendBytes(sender.get(), asBytes(text))); });
  }
  SECTION("AF_UNIX seqpacket socketpair") {
    std::tie(receiver, sender) = unixPair(SOCK_SEQPACKET);
    sendTwo([&](std::string_view text) { return bool(net::sendBytes(sender.get(), asBytes(text))); });
  }

  auto readable = net::waitReadable(receiver.get(), deadline);
  REQUIRE(readable);
  REQUIRE(*readable == net::Readiness::Ready);
  std::array<std::uint8_t, 4> small{};
  auto first = net::recvMessageInto(receiver.get(), small);
  REQUIRE(first);
  CHECK(first->size == 4);
  CHECK((first->flags & MSG_TRUNC) != 0);
  CHECK(asText(small) == "0123");

  // The rest of the datagram was thrown away: the next read is the next datagram, whole.
  readable = net::waitReadable(receiver.get(), deadline);
  REQUIRE(readable);
  REQUIRE(*readable == net::Readiness::Ready);
  std::array<std::uint8_t, 16> large{};
  auto second = net::recvMessageInto(receiver.get(), large);
  REQUIRE(second);
  CHECK(second->size == 3);
  CHECK((second->flags & MSG_TRUNC) == 0);
  CHECK(asText(net::Bytes(large).first(second->size)) == "abc");
}

TEST_CASE("recvMessageInto with MSG_TRUNC passed in returns the datagram's full length",
          "[socket_ops][udp][truncation]") {
  auto [receiver, sender] = unixPair(SOCK_DGRAM);
  REQUIRE(net::sendBytes(sender.get(), asBytes("0123456789")));
  std::array<std::uint8_t, 4> small{};
  auto got = net::recvMessageInto(receiver.get(), small, MSG_TRUNC);
  REQUIRE(got);
  CHECK(got->size == 10);
  CHECK((got->flags & MSG_TRUNC) != 0);
  CHECK(asText(small) == "0123");
}

TEST_CASE("SysError::describe names the call, the errno and its text", "[socket_ops][errors]") {
  CHECK(SysError{ECONNREFUSED, "connect"}.describe() == "connect: ECONNREFUSED (Connection refused)");
  CHECK(SysError{EAGAIN, "accept"}.describe() == "accept: EAGAIN (Resource temporarily unavailable)");
  errno = EBADF;
  auto failed = lastError("close");
  CHECK(failed.error.describe() == "close: EBADF (Bad file descriptor)");
}

TEST_CASE("the CallObserver sees each call with its name, fd, result and errno", "[socket_ops][observer]") {
  RecordingObserver observer;
  int raw = -1;
  {
    InstalledObserver installed(&observer);
    auto fd = openOrFail(AF_INET, SOCK_STREAM);
    raw = fd.get();
    REQUIRE(net::bindSocket(raw, sockAddrOf("tcp://127.0.0.1:0")));
    REQUIRE(net::listenSocket(raw, 3));
    CHECK(callAndErrnoOf(net::acceptConnection(raw, Blocking::No)) == "accept EAGAIN");
    REQUIRE(net::closeSocket(fd));
  }
  auto fd = openOrFail(AF_INET, SOCK_STREAM);  // after the observer was removed: not seen

  REQUIRE(observer.calls.size() == 5);
  const auto& calls = observer.calls;
  CHECK(calls[0].call == "socket");
  CHECK(calls[0].fd == -1);
  CHECK(calls[0].result == raw);
  CHECK(calls[0].errnoCode == 0);
  CHECK(calls[0].argument("family") == "AF_INET");
  CHECK(calls[0].argument("type") == "SOCK_STREAM");
  CHECK(calls[0].argument("nonblocking") == "1");

  CHECK(calls[1].call == "bind");
  CHECK(calls[1].fd == raw);
  CHECK(calls[1].result == 0);
  CHECK(calls[1].argument("address") == "127.0.0.1:0");

  CHECK(calls[2].call == "listen");
  CHECK(calls[2].argument("backlog") == "3");

  CHECK(calls[3].call == "accept");
  CHECK(calls[3].fd == raw);
  CHECK(calls[3].result == -1);
  CHECK(errnoName(calls[3].errnoCode) == "EAGAIN");

  CHECK(calls[4].call == "close");
  CHECK(calls[4].fd == raw);
  CHECK(calls[4].result == 0);
  CHECK(calls[4].errnoCode == 0);
}

}  // namespace
}  // namespace sockspec
