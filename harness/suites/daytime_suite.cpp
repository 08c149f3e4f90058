// The daytime suite (RFC 867): over a connection the server sends the date and time as one line and
// closes; over datagrams it answers each datagram with the date and time. RFC 867 leaves the syntax free
// ("there is no specific syntax for the daytime") and only suggests `Weekday, Month Day, Year Time-Zone`,
// so the checks require one non-empty line of printable ASCII, not a date format.
#include <array>

#include <fmt/format.h>

#include "base/display_escape.h"
#include "suites/client_pool.h"
#include "suites/datagram_client.h"
#include "suites/stream_client.h"
#include "suites/suite_tables.h"

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

CheckOutcome ignoresInput(const CheckContext& context) {
  // RFC 867: "Any data received is thrown away". A client that talks first still gets its line and EOF.
  auto client = StreamClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  if (auto sent = client->sendAll(net::asBytes("what time is it?\r\n"), context.deadline, context.timeout); !sent) {
    return CheckOutcome::fail(fmt::format("send: {}", sent.error()));
  }
  return outcomeOf(readLine(*client, context));
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
    ServiceCheck{"daytime.ignores-input", "a client that sends first still gets its line and EOF", kTcpSource,
                 kConnected, ignoresInput},
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
