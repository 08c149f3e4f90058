// server_stream: the reference server's stream services over real loopback sockets. Each input is a client
// (fuzz/client_actions.h: writes, waits, shutdown, abort, close) on a fresh connection to an in-process
// server, framed or echo, over TCP or a unix stream socket. The server must stay alive and:
//   - send exactly what it owes: echo the bytes back; framed, the replies a FramedSession gives for the same
//     bytes in one piece (fuzz/expected_replies.h), every one a well-formed server frame
//     (fuzz/framed_reply_check.h), nothing after BYE_REPLY or ERROR;
//   - close in order after the last reply it owes once the client shut down writing, or after BYE_REPLY or
//     an ERROR: the client reads every byte and then EOF, never ECONNRESET (docs/framed-protocol.md);
//   - drop the connection when the client ends it (close, RST, or at the end of the input), so that its
//     open-connection count and the process's descriptors return to where they were;
//   - never stall: no progress for 2 s while something is owed fails the check.
// A connection that the input leaves open is checked (everything owed arrived, nothing more) and then reset
// by the client (SO_LINGER 0): no TIME_WAIT is left behind, so tens of thousands of connections a second do
// not use up the ephemeral ports. Inputs that shut down writing end with a FIN from each side, as they must.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <algorithm>
#include <array>
#include <climits>
#include <cstring>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <unistd.h>

#include <fmt/format.h>

#include "base/deadline.h"
#include "check_failure.h"
#include "client_actions.h"
#include "descriptor_watch.h"
#include "expected_replies.h"
#include "framed_reply_check.h"
#include "net/endpoint_sockets.h"
#include "net/sock_addr.h"
#include "net/socket_ops.h"
#include "server_under_test.h"

namespace {

using namespace sockspec;
using namespace sockspec::fuzz;

constexpr std::string_view kTarget = "server_stream";
constexpr std::uint32_t kMaxPayload = proto::kDefaultMaxPayload;
// The small server send buffer an input may ask for (ServerConfig::sendBuffer; the kernel doubles it,
// socket(7)): replies fill it after a few KiB and back up into the server's own queue. A small client
// receive buffer would not do it: TCP's send-buffer autotuning lets the server's send(2) take 128 KiB at a
// time however small the client's window, and a few-KiB window makes a 256 KiB echo cost hundreds of
// recv(2) round trips.
constexpr int kSmallSendBuffer = 4096;

std::string_view serviceName(StreamService service) { return service == StreamService::Echo ? "echo" : "framed"; }

std::string_view actionName(StreamActionKind kind) {
  switch (kind) {
    case StreamActionKind::Write: return "write";
    case StreamActionKind::WriteRepeated: return "write repeated";
    case StreamActionKind::Wait: return "wait";
    case StreamActionKind::ShutdownWrite: return "shutdown";
    case StreamActionKind::Abort: return "abort";
    case StreamActionKind::Close: return "close";
  }
  return "?";
}

// Up to 16 bytes from `offset`, in hex, for messages about where two byte strings part.
std::string hexAt(std::span<const std::uint8_t> bytes, std::size_t offset) {
  std::string text;
  for (std::size_t i = offset; i < bytes.size() && i < offset + 16; ++i) text += fmt::format("{:02x} ", bytes[i]);
  if (text.empty()) return "(nothing)";
  text.pop_back();
  return text;
}

// One in-process server per family, service and send-buffer size, each listening from the start.
class StreamTargets {
 public:
  StreamTargets() {
    for (auto family : {StreamFamily::Tcp, StreamFamily::Unix}) {
      for (auto service : {StreamService::Framed, StreamService::Echo}) {
        for (bool smallSendBuffer : {false, true}) {
          server::ServerConfig config;
          config.service = service == StreamService::Echo ? server::Service::Echo : server::Service::Framed;
          config.maxPayload = kMaxPayload;
          config.sendBuffer = smallSendBuffer ? kSmallSendBuffer : 0;
          std::string url = family == StreamFamily::Tcp
                                ? std::string("tcp://127.0.0.1:0")
                                : fmt::format("unix://@sockspec-{}-{}-{}{}", kTarget, ::getpid(), serviceName(service),
                                              smallSendBuffer ? "-small-sndbuf" : "");
          auto endpoint = net::parseEndpoint(url);
          if (!endpoint) setupFailed(kTarget, net::formatEndpointError(url, endpoint.error()));
          config.listen = *endpoint;
          m_servers[index(family, service, smallSendBuffer)] = std::make_unique<ServerUnderTest>(kTarget, config);
        }
      }
    }
  }
  ServerUnderTest& pick(const StreamInput& input) {
    return *m_servers[index(input.family, input.service, input.smallServerSendBuffer)];
  }
  DescriptorWatch& descriptors() { return m_descriptors; }

 private:
  static std::size_t index(StreamFamily family, StreamService service, bool smallSendBuffer) {
    return (family == StreamFamily::Unix ? 4u : 0u) + (service == StreamService::Echo ? 2u : 0u) +
           (smallSendBuffer ? 1u : 0u);
  }
  std::array<std::unique_ptr<ServerUnderTest>, 8> m_servers;
  DescriptorWatch m_descriptors{kTarget};
};

StreamTargets* g_targets = nullptr;

// Buffers kept from one input to the next (cleared, not freed): replies can run to MiBs, and allocating
// them afresh costs page faults on every input.
struct ExchangeBuffers {
  ExpectedReplies expected{StreamService::Framed, kMaxPayload};
};
ExchangeBuffers* g_buffers = nullptr;

// One input's connection: the client side of the exchange and the checks on what the server does.
class StreamExchange {
 public:
  // `descriptors` starts watching at the client's socket, before the server accepts (so that a leaked
  // accepted descriptor counts as opened by this input).
  StreamExchange(ServerUnderTest& server, StreamService service, ExchangeBuffers& buffers,
                 DescriptorWatch& descriptors)
      : m_server(server),
        m_service(service),
        m_expected(buffers.expected),
        m_acceptedBefore(server.counters().accepted),
        m_closedBefore(server.counters().closed),
        m_openBefore(server.openConnections()) {
    m_expected.restart(service);
    connect(descriptors);
    awaitAccepted();
  }

  ~StreamExchange() { m_expected.end(); }

  void run(const std::vector<StreamAction>& actions) {
    for (const auto& action : actions) {
      ++m_actionNumber;
      m_action = action.kind;
      switch (action.kind) {
        case StreamActionKind::Write: write(action.bytes); break;
        case StreamActionKind::WriteRepeated: write(action.bytes, action.times); break;
        case StreamActionKind::Wait: waitForReplies(); break;
        case StreamActionKind::ShutdownWrite: shutdownWrite(); break;
        case StreamActionKind::Abort: end(/*abortive=*/true); return;
        case StreamActionKind::Close: end(/*abortive=*/false); return;
      }
    }
    ++m_actionNumber;
    m_atEnd = true;
    finish();
  }

 private:
  // A non-blocking connect, finished within the stall timeout.
  void connect(DescriptorWatch& descriptors) {
    const net::Endpoint& endpoint = m_server.endpoint();
    auto address = net::toSockAddr(endpoint);
    if (!address) fail(address.error());
    auto socket = net::openSocket(net::familyOf(endpoint), SOCK_STREAM, 0, net::Blocking::No);
    if (!socket) fail(socket.error().describe());
    m_client = std::move(*socket);
    // The input's first descriptor (socket(2) returns the lowest free one): the leak check's window starts here.
    descriptors.startInputAt(m_client.get());
    m_isTcp = !endpoint.isUnix();
    if (!endpoint.isUnix()) {
      // Without TCP_NODELAY, Nagle holds each small write until the previous one is ACKed, and the server's
      // delayed ACK makes that tens of milliseconds (tcp(7)): most of an input's wall time went there.
      if (auto set = net::setIntOption(m_client.get(), IPPROTO_TCP, TCP_NODELAY, 1); !set) {
        fail(set.error().describe());
      }
    }
    auto connected = net::connectSocket(m_client.get(), *address);
    // A unix stream connect completes in the call. Loopback TCP answers EINPROGRESS; its handshake usually
    // completes within the same call (loopback delivers the SYN and SYN-ACK in the softirq that the send
    // runs, and the ACK goes out when connect's release_sock() processes the backlog), and in any case is
    // complete once the server has accepted, which awaitAccepted() waits for: no poll(2) for POLLOUT.
    if (!connected && connected.error().code != EINPROGRESS) fail(connected.error().describe());
  }

  // The server's turn right after the handshake: it accepts (a TCP connection joins the accept queue only
  // once the handshake's last ACK arrived, tcp_check_req(), so the client is connected then), and the
  // first wait for replies then finds the client's bytes at its next turn rather than after a read that
  // could only say EAGAIN. While nothing is accepted, the client's socket is asked for a failed connect
  // (ECONNREFUSED when the listener is gone).
  void awaitAccepted() {
    m_server.serveUntil(
        [&] {
          if (m_server.counters().accepted > m_acceptedBefore) return StepOutcome::Done;
          auto outcome = net::pendingError(m_client.get());
          if (!outcome) fail(outcome.error().describe());
          if (*outcome != 0) fail(SysError{*outcome, "connect"}.describe());
          return StepOutcome::Idle;
        },
        "the server to accept the connection", ServeFirst::Yes);
  }

  void write(std::span<const std::uint8_t> bytes, std::size_t times = 1) {
    if (m_writeShut) return;  // send after shutdown(SHUT_WR) is EPIPE by definition, not a server fault
    const std::size_t total = bytes.size() * times;
    std::size_t done = 0;
    m_server.serveUntil(
        [&] {
          if (done == total) return StepOutcome::Done;
          auto sent = sendRepeated(bytes, done, total);
          if (sent) {
            noteSent(bytes, done, *sent);
            done += *sent;
            return done == total ? StepOutcome::Done : StepOutcome::Progressed;
          }
          int code = sent.error().code;
          if (code != EAGAIN && code != EWOULDBLOCK) {
            fail(fmt::format("{} after {} of {} bytes: the server must read until the client closes",
                             sent.error().describe(), done, total));
          }
          return readReplies();  // the server may be waiting for us to read before it reads more
        },
        "the server to read what the client writes");
  }

  // One sendmsg(2) of the repeated stream from offset `from` on (at most IOV_MAX iovecs).
  Result<std::size_t> sendRepeated(std::span<const std::uint8_t> bytes, std::size_t from, std::size_t total) {
    static std::array<iovec, IOV_MAX> pieces;
    std::size_t count = 0;
    for (std::size_t at = from; at < total && count < pieces.size(); ++count) {
      std::size_t offset = at % bytes.size();
      std::size_t length = std::min(bytes.size() - offset, total - at);
      pieces[count] = iovec{const_cast<std::uint8_t*>(bytes.data() + offset), length};
      at += length;
    }
    msghdr message{};
    message.msg_iov = pieces.data();
    message.msg_iovlen = count;
    return net::sendMessage(m_client.get(), message);
  }

  // Tells the model of what is owed about `count` bytes of the repeated stream sent from offset `from`.
  void noteSent(std::span<const std::uint8_t> bytes, std::size_t from, std::size_t count) {
    while (count > 0) {
      std::size_t offset = from % bytes.size();
      std::size_t length = std::min(bytes.size() - offset, count);
      m_expected.onSent(bytes.subspan(offset, length));
      from += length;
      count -= length;
    }
  }

  void waitForReplies() {
    if (m_received == m_expected.bytes().size()) return;
    // Replies owed and not yet read: the server has usually not run since the client's last write, so it
    // serves first (a read now would only say EAGAIN).
    m_server.serveUntil([&] { return m_received == m_expected.bytes().size() ? StepOutcome::Done : readReplies(); },
                        "the replies owed", ServeFirst::Yes);
  }

  void shutdownWrite() {
    if (m_writeShut) return;
    if (auto shut = net::shutdownSocket(m_client.get(), SHUT_WR); !shut) fail(shut.error().describe());
    m_writeShut = true;
  }

  // The client ends the connection mid-exchange: RST (SO_LINGER 0) or a plain close (FIN, or RST when
  // replies are unread). Whatever it had received so far must still be a well-formed prefix.
  void end(bool abortive) {
    if (abortive) {
      if (auto set = net::setAbortiveClose(m_client.get()); !set) fail(set.error().describe());
    }
    m_client.reset();
    awaitServerClosed();
    checkFrames(/*complete=*/false);
  }

  // The input is over and the connection still open: everything owed must arrive, then either the orderly
  // close the server owes (after the client's shutdown, or BYE/ERROR), or nothing more.
  void finish() {
    waitForReplies();
    if (m_writeShut || m_expected.serverCloses()) {
      m_server.serveUntil([&] { return m_sawEof ? StepOutcome::Done : readReplies(); },
                          "the server's FIN after its last reply");
      m_client.reset();  // everything was read, so this is a FIN, not an RST
    } else {
      m_server.serveReady();
      m_ackMayBeDelayed = false;  // the connection is reset next: no ACK is worth a TCP_QUICKACK now
      if (readReplies() != StepOutcome::Idle) fail("the server sent more after everything owed");
      // The check is done: reset rather than close, so that the client's port is not held in TIME_WAIT
      // for 60 s (tcp_close(), socket(7) SO_LINGER). The server must take the RST in its stride.
      if (auto set = net::setAbortiveClose(m_client.get()); !set) fail(set.error().describe());
      m_client.reset();
    }
    awaitServerClosed();
    checkFrames(/*complete=*/true);
  }

  // One non-blocking read of the server's replies, each byte compared with what is owed at its offset.
  StepOutcome readReplies() {
    static std::array<std::uint8_t, 64 * 1024> buffer;
    auto received = net::recvBytes(m_client.get(), buffer);
    if (!received) {
      int code = received.error().code;
      if (code == EAGAIN || code == EWOULDBLOCK) {
        acknowledgeNow();
        return StepOutcome::Idle;
      }
      fail(fmt::format("{} after {} reply bytes: {}", received.error().describe(), m_received,
                       "an orderly close sends FIN after the last reply, never RST"));
    }
    if (*received == 0) {
      if (!m_writeShut && !m_expected.serverCloses()) {
        fail(fmt::format("EOF after {} reply bytes: the server closed a connection it still had to serve",
                         m_received));
      }
      if (m_received < m_expected.bytes().size()) {
        fail(fmt::format("EOF after {} of the {} reply bytes owed", m_received, m_expected.bytes().size()));
      }
      m_sawEof = true;
      return StepOutcome::Progressed;
    }
    std::span<const std::uint8_t> got(buffer.data(), *received);
    const auto& owed = m_expected.bytes();
    std::size_t offset = m_received;
    if (offset + got.size() > owed.size()) {
      fail(fmt::format("the server sent {} reply bytes, {} are owed; the extra bytes begin {}", offset + got.size(),
                       owed.size(), hexAt(got, owed.size() > offset ? owed.size() - offset : 0)));
    }
    // memcmp, not a loop: the fuzzer build instruments every comparison in this file, and replies run to MiBs.
    if (std::memcmp(got.data(), owed.data() + offset, got.size()) != 0) {
      auto [gotAt, owedAt] = std::mismatch(got.begin(), got.end(), owed.begin() + static_cast<std::ptrdiff_t>(offset));
      auto i = static_cast<std::size_t>(gotAt - got.begin());
      fail(fmt::format("reply byte {} differs from what is owed: got {}, owed {}", offset + i, hexAt(got, i),
                       hexAt(owed, offset + i)));
    }
    m_received += got.size();  // equal to what is owed, so the owed bytes stand for them from here on
    m_ackMayBeDelayed = m_isTcp;
    return StepOutcome::Progressed;
  }

  // The client has read everything there is and waits for more: its ACK for what it read must not wait for
  // the delayed-ACK timer (40 ms or more, tcp(7) TCP_QUICKACK), or a server whose send buffer is full of
  // unACKed replies gets no EPOLLOUT until then. Setting TCP_QUICKACK sends an ACK that is due at once
  // (do_tcp_setsockopt(): tcp_cleanup_rbuf()); only after replies were read, so once per burst.
  void acknowledgeNow() {
    if (!m_ackMayBeDelayed) return;
    m_ackMayBeDelayed = false;
    if (auto set = net::setIntOption(m_client.get(), IPPROTO_TCP, TCP_QUICKACK, 1); !set) {
      fail(set.error().describe());
    }
  }

  // The server has accepted this connection and closed it, and holds no more connections than before.
  void awaitServerClosed() {
    m_server.serveUntil(
        [&] {
          const auto& counters = m_server.counters();
          bool closed = counters.accepted == m_acceptedBefore + 1 && counters.closed == m_closedBefore + 1 &&
                        m_server.openConnections() == m_openBefore;
          return closed ? StepOutcome::Done : StepOutcome::Idle;
        },
        "the server to close its side of the connection");
    const auto& counters = m_server.counters();
    if (counters.accepted != m_acceptedBefore + 1 || counters.closed != m_closedBefore + 1) {
      fail(fmt::format("one connection made, yet the server accepted {} and closed {}",
                       counters.accepted - m_acceptedBefore, counters.closed - m_closedBefore));
    }
  }

  void checkFrames(bool complete) {
    if (m_service != StreamService::Framed) return;
    auto received = std::span<const std::uint8_t>(m_expected.bytes()).first(m_received);
    if (auto problem = framedReplyProblem(received, kMaxPayload, complete); !problem.empty()) fail(problem);
  }

  [[noreturn]] void fail(std::string_view message) const {
    std::string where = m_atEnd ? std::string("at the end of the input")
                                : fmt::format("at action {} ({})", m_actionNumber, actionName(m_action));
    checkFailed(kTarget, fmt::format("{} {} {}: {}", m_server.endpoint().toString(), serviceName(m_service), where,
                                     message));
  }

  ServerUnderTest& m_server;
  StreamService m_service;
  ExpectedReplies& m_expected;
  std::size_t m_received = 0;  // reply bytes read so far, each checked against what is owed
  net::UniqueFd m_client;
  bool m_isTcp = false;
  bool m_ackMayBeDelayed = false;  // replies were read since the last TCP_QUICKACK (acknowledgeNow())
  bool m_writeShut = false;
  bool m_sawEof = false;
  std::uint64_t m_acceptedBefore;
  std::uint64_t m_closedBefore;
  std::size_t m_openBefore;
  std::size_t m_actionNumber = 0;
  StreamActionKind m_action = StreamActionKind::Wait;
  bool m_atEnd = false;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // Both live as long as the process: libFuzzer never tears targets down.
  g_targets = new StreamTargets();
  g_buffers = new ExchangeBuffers();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  StreamInput input = decodeStreamInput({data, size});
  {
    StreamExchange exchange(g_targets->pick(input), input.service, *g_buffers, g_targets->descriptors());
    exchange.run(input.actions);
  }
  g_targets->descriptors().checkNoLeak("an input");
  return 0;
}
