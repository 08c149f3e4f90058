// The daytime suite (RFC 867): over a connection the server sends the date and time as one line and
// closes; over datagrams it answers each datagram with the date and time. RFC 867 leaves the syntax free
// ("there is no specific syntax for the daytime") and only suggests `Weekday, Month Day, Year Time-Zone`,
// so the checks require one non-empty line of printable ASCII, not a date format.
#include <array>
#include <chrono>

#include <fmt/format.h>

#include "base/display_escape.h"
#include "suites/client_pool.h"
#include "suites/datagram_client.h"
#include "suites/realtime_window.h"
#include "suites/stream_client.h"
#include "suites/suite_tables.h"
#include "suites/tcp_segments.h"

namespace sockspec::suites {

namespace {

constexpr std::size_t kMaxLine = 1024;  // far more than any date; a server streaming without end fails

std::string shown(std::span<const std::uint8_t> bytes) {
  return escapeForDisplay(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), 100);
}

bool printable(std::span<const std::uint8_t> text) {
  bool visible = false;
  for (auto byte : text) {
    if (byte == '\t' || byte == ' ') continue;
    if (byte < 0x21 || byte > 0x7e) return false;
    visible = true;
  }
  return visible;
}

// A stream reply: exactly one line of printable text ended by CR LF.
std::optional<std::string> lineProblem(std::span<const std::uint8_t> reply) {
  if (reply.empty()) return std::string("the server closed without sending a line");
  if (reply.size() < 2 || reply[reply.size() - 2] != '\r' || reply.back() != '\n') {
    return fmt::format("the reply does not end in CR LF: \"{}\"", shown(reply));
  }
  auto text = reply.first(reply.size() - 2);
  if (!printable(text)) return fmt::format("not one line of printable ASCII: \"{}\"", shown(reply));
  return std::nullopt;
}

// A datagram reply: printable text, a final CR LF or LF allowed (RFC 867 names no line ending for UDP).
std::optional<std::string> datagramProblem(std::span<const std::uint8_t> reply) {
  auto text = reply;
  if (!text.empty() && text.back() == '\n') text = text.first(text.size() - 1);
  if (!text.empty() && text.back() == '\r') text = text.first(text.size() - 1);
  if (!printable(text)) return fmt::format("the reply is no line of printable ASCII: \"{}\"", shown(reply));
  return std::nullopt;
}

std::optional<std::string> endProblem(const StreamEnd& end, std::size_t got, const CheckContext& context) {
  switch (end.kind) {
    case StreamEnd::Kind::Eof: return std::nullopt;
    case StreamEnd::Kind::Complete: return fmt::format("more than {} bytes and no EOF", kMaxLine);
    case StreamEnd::Kind::TimedOut:
      return got == 0 ? fmt::format("no reply within {} ms", context.timeout.count())
                      : fmt::format("got {} bytes but no EOF within {} ms", got, context.timeout.count());
    case StreamEnd::Kind::Reset:
      return fmt::format("the connection was reset ({}) instead of closed in order after {} bytes",
                         end.error.describe(), got);
    case StreamEnd::Kind::Failed: return fmt::format("recv: {}", end.error.describe());
  }
  return std::nullopt;
}

std::optional<std::string> readLine(StreamClient& client, const CheckContext& context) {
  std::vector<std::uint8_t> reply;
  StreamEnd end = client.readToEof(reply, kMaxLine, context.deadline);
  if (auto problem = endProblem(end, reply.size(), context)) return problem;
  return lineProblem(reply);
}

CheckOutcome outcomeOf(const std::optional<std::string>& problem) {
  return problem ? CheckOutcome::fail(*problem) : CheckOutcome::pass();
}

CheckOutcome lineThenEof(const CheckContext& context) {
  auto client = StreamClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  return outcomeOf(readLine(*client, context));
}

// How long the client may take from connect() to its send for the send to carry the handshake's ACK: well
// inside the delayed-ACK timer that would send that ACK alone (TCP_DELACK_MAX, 200 ms; armed after connect()
// began). Measured on Linux 6.18: the ACK left alone 200 ms after the SYN-ACK.
constexpr auto kAckHeldFor = std::chrono::milliseconds(100);
// Over AF_UNIX a server that accepts, writes and closes at once can win the race to our send now and then (1
// of 20 runs lost 5 attempts in a row with two busy loops on 2 CPUs); each attempt is a fresh chance, and
// the deadline bounds them all.
constexpr int kInputAttempts = 64;

// Connects and sends `request` so that it is on the server's socket before the server can reply and close,
// the order in which a server that closes without reading (inetd's builtin daytime does) resets the
// connection. Over tcp the handshake's last ACK rides on the request (ConnectOptions::ackWithFirstData), so
// the server's connection exists only with the request queued on it; over AF_UNIX a send that succeeds
// queued it on the server's socket while that was open (unix_stream_sendmsg() gives EPIPE once the peer
// closed), so a close(2) finds it unread (unix_release_sock(): ECONNRESET for us). Otherwise the server's
// close and our input race, and input that arrives after the close draws an RST only after the FIN, which
// the client never sees: once the FIN is in, recv(2) returns 0 before any error (tcp_recvmsg(): SOCK_DONE).
// Over AF_UNIX connect() itself wakes the server's accept(), and a server woken on our CPU would run at
// once (wakeup preemption), accept, write and close before our send: OpenBSD inetd on our CPU, with us at
// nice 19, won 64 attempts of 64 in 20 runs of 20. So connect and send run SCHED_FIFO (RealtimeWindow),
// which no ordinary task preempts; a server on another CPU still needs a wakeup and three syscalls before
// its close, against our one send. Without the privilege the attempts go on at normal priority.
// The client when the request came first; nullopt and `miss` saying why when it did not; an error string.
Expected<std::optional<StreamClient>, std::string> connectAndTalkFirst(net::Bytes request, const CheckContext& context,
                                                                       std::string& miss) {
  bool tcp = context.target.transport == net::Transport::Tcp;
  RealtimeWindow realtime;
  auto missed = [&](std::string why) {
    miss = realtime.refused()
               ? fmt::format("{} (at normal priority: {})", why, realtime.refused()->describe())
               : std::move(why);
    return std::optional<StreamClient>{};
  };
  ConnectOptions options;
  options.ackWithFirstData = true;
  auto started = std::chrono::steady_clock::now();
  auto client = StreamClient::connect(context.target, context.deadline, options);
  if (!client) return Unexpected{client.error()};
  if (tcp) {
    // Only the SYN has left, or the kernel sent the ACK alone (it ignores the option, or we were too slow).
    auto segments = tcpSegmentsSent(client->fd());
    if (!segments) return Unexpected{fmt::format("after connect: {}", segments.error().describe())};
    if (*segments != 1) {
      return missed(fmt::format(
          "the handshake's ACK left before the request ({} segments sent after connect)", *segments));
    }
  }
  auto sent = net::sendBytes(client->fd(), request);
  if (!sent) {
    if (sent.error().code == EPIPE || sent.error().code == ECONNRESET) {
      return missed(
          fmt::format("the server closed before the request arrived (send: {})", sent.error().describe()));
    }
    return Unexpected{fmt::format("send: {}", sent.error().describe())};
  }
  if (*sent != request.size()) {
    return Unexpected{fmt::format("send: took {} of {} bytes on a new connection", *sent, request.size())};
  }
  auto took = std::chrono::steady_clock::now() - started;
  if (tcp && took >= kAckHeldFor) {
    return missed(fmt::format("connect and send took {} ms: the delayed ACK may have left first",
                              std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
  }
  return std::optional<StreamClient>{std::move(*client)};
}

CheckOutcome ignoresInput(const CheckContext& context) {
  // RFC 867: "Any data received is thrown away". A client that talks first still gets its line and EOF: the
  // server must read (and drop) the input before it closes, or close(2) finds it unread and sends RST
  // instead of FIN (tcp_close(): data_was_unread; RFC 2525 2.17).
  const auto request = net::asBytes("what time is it?\r\n");
  std::string miss;
  int attempts = 0;
  while (attempts < kInputAttempts && !context.deadline.expired()) {
    ++attempts;
    auto client = connectAndTalkFirst(request, context, miss);
    if (!client) return CheckOutcome::fail(client.error());
    if (!*client) continue;
    if (auto problem = readLine(**client, context)) {
      return CheckOutcome::fail(fmt::format("sent \"what time is it?\\r\\n\" first: {}", *problem));
    }
    return CheckOutcome::pass();
  }
  return CheckOutcome::skip(fmt::format("could not get the request to the server before it could reply, in {} "
                                        "attempts; the last: {}", attempts, miss));
}

CheckOutcome concurrentClients(const CheckContext& context) {
  constexpr std::size_t kClients = 64;
  std::vector<PoolRequest> requests(kClients);
  for (auto& request : requests) {
    request.expectBytes = kMaxLine;
    request.readToEof = true;
  }
  auto results = runClientPool(context.target, requests, context.deadline);
  return outcomeOf(summarizePool(results, [&](std::size_t, const PoolResult& result) -> std::optional<std::string> {
    if (auto problem = endProblem(result.end, result.received.size(), context)) return problem;
    return lineProblem(result.received);
  }));
}

std::optional<std::string> datagramExchange(net::Bytes request, const CheckContext& context) {
  auto exchanged = exchangeOneDatagram(context.target, request, context.deadline, context.timeout);
  if (!exchanged) return exchanged.error();
  const DatagramReply& reply = *exchanged;
  if (reply.fullSize > kMaxLine) return fmt::format("the reply has {} bytes", reply.fullSize);
  return datagramProblem(reply.data);
}

CheckOutcome datagramReply(const CheckContext& context) {
  return outcomeOf(datagramExchange(net::asBytes("time?"), context));
}

CheckOutcome datagramEmptyRequest(const CheckContext& context) {
  // "the data in the received datagram is ignored": an empty datagram is a datagram, and is answered.
  return outcomeOf(datagramExchange({}, context));
}

CheckOutcome liveness(const CheckContext& context) {
  if (!net::isConnectionOriented(context.target.transport)) return datagramReply(context);
  return lineThenEof(context);
}

constexpr std::string_view kTcpSource = "RFC 867 (TCP based daytime service)";
constexpr std::string_view kUdpSource = "RFC 867 (UDP based daytime service)";

constexpr std::array kDaytimeChecks{
    ServiceCheck{"daytime.line-then-eof",
                 "one non-empty line of printable ASCII ending in CR LF, then EOF (not RST)",
                 "RFC 867; RFC 2525 2.17 (close with unread data sends RST)", kConnected, lineThenEof},
    ServiceCheck{"daytime.ignores-input",
                 "a client whose input reaches the server before the server replies still gets its line and EOF",
                 "RFC 867 (TCP based daytime service); RFC 2525 2.17 (close with unread data sends RST)", kConnected,
                 ignoresInput},
    ServiceCheck{"daytime.concurrent-clients", "64 clients at once each get a line and EOF", kTcpSource, kConnected,
                 concurrentClients},
    ServiceCheck{"daytime.datagram-reply", "a datagram is answered with one line of printable ASCII", kUdpSource,
                 kDatagram, datagramReply},
    ServiceCheck{"daytime.datagram-empty-request", "an empty datagram is answered too", kUdpSource, kDatagram,
                 datagramEmptyRequest},
    ServiceCheck{"daytime.liveness", "the server still serves a new client after all the checks above", "RFC 867",
                 kAllTransports, liveness},
};

}  // namespace

std::span<const ServiceCheck> daytimeChecks() { return kDaytimeChecks; }

}  // namespace sockspec::suites
