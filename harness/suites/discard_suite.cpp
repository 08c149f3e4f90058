// The discard suite (RFC 863): "simply throw away any data it receives". Over a connection the server
// answers nothing and closes once the client has finished (RFC 863: "until the calling user terminates
// the connection"); over datagrams it answers nothing at all.
#include <array>

#include <fmt/format.h>

#include "suites/client_pool.h"
#include "suites/datagram_client.h"
#include "suites/payloads.h"
#include "suites/stream_client.h"
#include "suites/suite_tables.h"

namespace sockspec::suites {

namespace {

// How long a datagram check listens for a reply that must not come. Silence cannot be proven sooner; a
// correct server costs this wait, once.
constexpr auto kQuietWindow = std::chrono::milliseconds(300);

// Reads until EOF: the problem if anything arrived or the connection did not end in order.
std::optional<std::string> expectSilentEof(StreamClient& client, const CheckContext& context) {
  std::vector<std::uint8_t> reply;
  StreamEnd end = client.readToEof(reply, 64 * 1024, context.deadline);
  if (!reply.empty()) return fmt::format("discard sent {} bytes back", reply.size());
  switch (end.kind) {
    case StreamEnd::Kind::Eof: return std::nullopt;
    case StreamEnd::Kind::TimedOut:
      return fmt::format("no EOF within {} ms after shutdown(SHUT_WR): the server did not close", context.timeout.count());
    case StreamEnd::Kind::Reset:
      return fmt::format("the connection was reset ({}) instead of closed in order", end.error.describe());
    default: return fmt::format("recv: {}", end.error.describe());
  }
}

CheckOutcome bulkSilent(const CheckContext& context) {
  constexpr std::size_t kBytes = 1024 * 1024;
  auto client = StreamClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  auto payload = makePayload(20, 64 * 1024);
  std::vector<std::uint8_t> early;
  for (std::size_t sent = 0; sent < kBytes; sent += payload.size()) {
    if (auto done = client->sendAll(payload, context.deadline, context.timeout); !done) {
      return CheckOutcome::fail(fmt::format("after {} bytes: {}", sent, done.error()));
    }
    // A reply cannot be waited for (none should come); look without blocking.
    (void)client->readUntilSize(early, 1, Deadline::after(std::chrono::milliseconds(0)));
    if (!early.empty()) return CheckOutcome::fail(fmt::format("discard answered after {} bytes were sent", sent));
  }
  if (auto shut = client->shutdownWrite(); !shut) return CheckOutcome::fail(shut.error().describe());
  auto problem = expectSilentEof(*client, context);
  return problem ? CheckOutcome::fail(*problem) : CheckOutcome::pass();
}

CheckOutcome closesAfterHalfClose(const CheckContext& context) {
  auto client = StreamClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  const std::string_view text = "the last words\r\n";
  if (auto sent = client->sendAll(net::asBytes(text), context.deadline, context.timeout); !sent) {
    return CheckOutcome::fail(sent.error());
  }
  if (auto shut = client->shutdownWrite(); !shut) return CheckOutcome::fail(shut.error().describe());
  auto problem = expectSilentEof(*client, context);
  return problem ? CheckOutcome::fail(*problem) : CheckOutcome::pass();
}

CheckOutcome concurrentClients(const CheckContext& context) {
  constexpr std::size_t kClients = 64;
  std::vector<PoolRequest> requests(kClients);
  for (std::size_t i = 0; i < kClients; ++i) {
    requests[i].request = makePayload(300 + i, 8 * 1024);
    requests[i].halfCloseAfterSend = true;
    requests[i].readToEof = true;
  }
  auto results = runClientPool(context.target, requests, context.deadline);
  auto problem = summarizePool(results, [&](std::size_t, const PoolResult& result) -> std::optional<std::string> {
    if (!result.received.empty()) return fmt::format("discard sent {} bytes back", result.received.size());
    if (!result.sendError.empty()) return fmt::format("send: {}", result.sendError);
    if (result.end.kind == StreamEnd::Kind::Eof) return std::nullopt;
    if (result.end.kind == StreamEnd::Kind::TimedOut) return fmt::format("no EOF within {} ms", context.timeout.count());
    return fmt::format("recv: {}", result.end.error.describe());
  });
  return problem ? CheckOutcome::fail(*problem) : CheckOutcome::pass();
}

CheckOutcome datagramSilent(const CheckContext& context) {
  auto client = DatagramClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  const std::vector<std::vector<std::uint8_t>> datagrams{{}, makePayload(21, 1), makePayload(22, 1024),
                                                         makePayload(23, 65507)};
  for (const auto& datagram : datagrams) {
    if (auto sent = client->send(datagram, context.deadline); !sent) return CheckOutcome::fail(sent.error());
  }
  auto quiet = context.timeout < kQuietWindow ? context.timeout : kQuietWindow;
  auto reply = client->receive(Deadline::after(quiet).orEarlier(context.deadline));
  if (reply.kind == DatagramReply::Kind::Received) {
    return CheckOutcome::fail(fmt::format("discard answered with a {}-byte datagram", reply.fullSize));
  }
  if (reply.kind == DatagramReply::Kind::Failed) return CheckOutcome::fail(reply.error);
  return CheckOutcome::pass(fmt::format("no reply within {} ms", quiet.count()));
}

CheckOutcome liveness(const CheckContext& context) { return closesAfterHalfClose(context); }

constexpr std::string_view kTcpSource = "RFC 863 (TCP based discard service)";

constexpr std::array kDiscardChecks{
    ServiceCheck{"discard.bulk-silent", "1 MiB is accepted and nothing ever comes back", kTcpSource, kConnected,
                 bulkSilent},
    ServiceCheck{"discard.closes-after-half-close",
                 "after the client's shutdown(SHUT_WR) the server closes in order: EOF, no data, no RST",
                 "RFC 863; RFC 793 3.5 (closing a connection)", kConnected, closesAfterHalfClose},
    ServiceCheck{"discard.concurrent-clients", "64 clients at once are each read and closed", kTcpSource,
                 kConnected, concurrentClients},
    ServiceCheck{"discard.datagram-silent",
                 "datagrams of 0, 1, 1,024 and 65,507 bytes get no answer (listens 300 ms)",
                 "RFC 863 (UDP based discard service)", kDatagram, datagramSilent},
    ServiceCheck{"discard.liveness", "the server still serves a new client after all the checks above", kTcpSource,
                 kConnected, liveness},
};

}  // namespace

std::span<const ServiceCheck> discardChecks() { return kDiscardChecks; }

}  // namespace sockspec::suites
