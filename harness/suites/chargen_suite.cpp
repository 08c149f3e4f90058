// The chargen suite (RFC 864): over a connection the server sends the character pattern without end and
// throws away whatever it receives, until the client closes; over datagrams it answers each datagram with
// 0 to 512 characters.
#include <array>

#include <fmt/format.h>

#include "suites/chargen_verifier.h"
#include "suites/client_pool.h"
#include "suites/datagram_client.h"
#include "suites/payloads.h"
#include "suites/stream_client.h"
#include "suites/suite_tables.h"

namespace sockspec::suites {

namespace {

// Reads `bytes` of the stream and checks the pattern; the problem if it breaks or stops.
std::optional<std::string> readPattern(StreamClient& client, std::size_t bytes, const CheckContext& context) {
  ChargenVerifier verifier;
  std::vector<std::uint8_t> chunk;
  while (verifier.received() < bytes) {
    chunk.clear();
    StreamEnd end = client.readUntilSize(chunk, std::min<std::size_t>(64 * 1024, bytes - verifier.received()),
                                         context.deadline);
    verifier.feed(chunk);
    if (verifier.problem()) return fmt::format("the pattern breaks at {}", *verifier.problem());
    if (end.kind != StreamEnd::Kind::Complete) {
      return describeShortfall("bytes of the pattern", bytes, verifier.received(), end, context.timeout);
    }
  }
  return std::nullopt;
}

CheckOutcome outcomeOf(const std::optional<std::string>& problem) {
  return problem ? CheckOutcome::fail(*problem) : CheckOutcome::pass();
}

CheckOutcome pattern(const CheckContext& context) {
  auto client = StreamClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  return outcomeOf(readPattern(*client, 1024 * 1024, context));
}

CheckOutcome ignoresInput(const CheckContext& context) {
  // RFC 864: "any data received is thrown away". Sending must neither stop the stream nor show up in it.
  auto client = StreamClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  if (auto problem = readPattern(*client, 16 * 1024, context)) return CheckOutcome::fail(*problem);
  const std::string_view text = "please stop\r\n";
  for (int i = 0; i < 64; ++i) {
    if (auto sent = client->sendAll(net::asBytes(text), context.deadline, context.timeout); !sent) {
      return CheckOutcome::fail(fmt::format("send: {}", sent.error()));
    }
  }
  ChargenVerifier verifier;
  // Continue from where the first read stopped: a new verifier finds its phase again.
  std::vector<std::uint8_t> rest;
  StreamEnd end = client->readUntilSize(rest, 256 * 1024, context.deadline);
  verifier.feed(rest);
  if (verifier.problem()) return CheckOutcome::fail(fmt::format("after input, the pattern breaks at {}", *verifier.problem()));
  if (end.kind != StreamEnd::Kind::Complete) {
    return CheckOutcome::fail(fmt::format(
        "after input: {}", describeShortfall("bytes of the pattern", 256 * 1024, rest.size(), end, context.timeout)));
  }
  return CheckOutcome::pass();
}

CheckOutcome clientClose(const CheckContext& context) {
  // A client that closes mid-stream (with data unread: RST, tcp_close()) costs the server an EPIPE or
  // ECONNRESET on its next send; another client's stream must go on.
  auto bystander = StreamClient::connect(context.target, context.deadline);
  if (!bystander) return CheckOutcome::fail(fmt::format("client B: {}", bystander.error()));
  if (auto problem = readPattern(*bystander, 64 * 1024, context)) {
    return CheckOutcome::fail(fmt::format("client B: {}", *problem));
  }
  for (int i = 0; i < 8; ++i) {
    auto leaver = StreamClient::connect(context.target, context.deadline);
    if (!leaver) return CheckOutcome::fail(fmt::format("client A{}: {}", i + 1, leaver.error()));
    if (auto problem = readPattern(*leaver, 8 * 1024, context)) {
      return CheckOutcome::fail(fmt::format("client A{}: {}", i + 1, *problem));
    }
    if (i % 2 == 0) {
      leaver->abort();
    } else {
      leaver->close();
    }
  }
  std::vector<std::uint8_t> rest;
  StreamEnd end = bystander->readUntilSize(rest, 256 * 1024, context.deadline);
  if (end.kind != StreamEnd::Kind::Complete) {
    return CheckOutcome::fail(fmt::format("client B, after 8 others closed mid-stream: {}",
                                          describeShortfall("bytes of the pattern", 256 * 1024, rest.size(), end,
                                                            context.timeout)));
  }
  ChargenVerifier verifier;
  verifier.feed(rest);
  if (verifier.problem()) return CheckOutcome::fail(fmt::format("client B: the pattern breaks at {}", *verifier.problem()));
  return CheckOutcome::pass();
}

CheckOutcome concurrentClients(const CheckContext& context) {
  constexpr std::size_t kClients = 32;
  constexpr std::size_t kBytes = 64 * 1024;
  std::vector<PoolRequest> requests(kClients);
  for (auto& request : requests) request.expectBytes = kBytes;
  auto results = runClientPool(context.target, requests, context.deadline);
  auto problem = summarizePool(results, [&](std::size_t, const PoolResult& result) -> std::optional<std::string> {
    ChargenVerifier verifier;
    verifier.feed(result.received);
    if (verifier.problem()) return fmt::format("the pattern breaks at {}", *verifier.problem());
    if (result.end.kind == StreamEnd::Kind::Complete) return std::nullopt;
    return describeShortfall("bytes of the pattern", kBytes, result.received.size(), result.end, context.timeout);
  });
  return outcomeOf(problem);
}

std::optional<std::string> datagramExchange(DatagramClient& client, net::Bytes request, const CheckContext& context) {
  if (auto sent = client.send(request, context.deadline); !sent) return sent.error();
  auto reply = client.receive(context.deadline);
  if (reply.kind != DatagramReply::Kind::Received) {
    return fmt::format("sent a {}-byte datagram: {}", request.size(), describeMissingReply(reply, context.timeout));
  }
  if (reply.fullSize != reply.data.size()) return fmt::format("the reply has {} bytes", reply.fullSize);
  return chargenDatagramProblem(reply.data);
}

CheckOutcome datagramReply(const CheckContext& context) {
  auto client = DatagramClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  return outcomeOf(datagramExchange(*client, net::asBytes("chargen?"), context));
}

CheckOutcome datagramEachRequest(const CheckContext& context) {
  // "the data in the received datagram is ignored": an empty one and a large one are answered too.
  auto client = DatagramClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  const std::vector<std::vector<std::uint8_t>> requests{{}, makePayload(30, 1), makePayload(31, 1024),
                                                        makePayload(32, 8192)};
  for (const auto& request : requests) {
    if (auto problem = datagramExchange(*client, request, context)) return CheckOutcome::fail(*problem);
  }
  return CheckOutcome::pass();
}

CheckOutcome liveness(const CheckContext& context) {
  if (!net::isConnectionOriented(context.target.transport)) return datagramReply(context);
  auto client = StreamClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  return outcomeOf(readPattern(*client, 4096, context));
}

constexpr std::string_view kTcpSource = "RFC 864 (TCP based character generator service)";
constexpr std::string_view kUdpSource = "RFC 864 (UDP based character generator service)";

constexpr std::array kChargenChecks{
    ServiceCheck{"chargen.pattern",
                 "1 MiB of the pattern: 72 printable characters and CR LF per line, each line one character on",
                 "RFC 864 (the recommended pattern)", kConnected, pattern},
    ServiceCheck{"chargen.ignores-input", "data the client sends is thrown away; the stream goes on unchanged",
                 kTcpSource, kConnected, ignoresInput},
    ServiceCheck{"chargen.client-close",
                 "clients that close or reset mid-stream do not stop another client's stream",
                 "RFC 864; RFC 2525 2.17 (close with unread data sends RST)", kConnected, clientClose},
    ServiceCheck{"chargen.concurrent-clients", "32 clients at once each get 64 KiB of the pattern", kTcpSource,
                 kConnected, concurrentClients},
    ServiceCheck{"chargen.datagram-reply", "a datagram is answered with 0 to 512 characters of the pattern",
                 kUdpSource, kDatagram, datagramReply},
    ServiceCheck{"chargen.datagram-each-request",
                 "every datagram is answered, whatever it holds (empty, 1, 1,024, 8,192 bytes)", kUdpSource, kDatagram,
                 datagramEachRequest},
    ServiceCheck{"chargen.liveness", "the server still serves a new client after all the checks above", "RFC 864",
                 kAllTransports, liveness},
};

}  // namespace

std::span<const ServiceCheck> chargenChecks() { return kChargenChecks; }

}  // namespace sockspec::suites
