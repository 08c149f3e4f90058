// The chargen suite (RFC 864): over a connection the server sends data without end and throws away whatever
// it receives, until the client closes; over datagrams it answers each datagram with 0 to 512 characters.
// That is all RFC 864 requires ("The data may be anything"): only it can fail a check. The recommended
// 72-column rotating pattern is looked for, and a stream or reply that differs passes with a note saying what
// it is instead (chargen_description.h).
#include <array>

#include <fmt/format.h>

#include "suites/chargen_description.h"
#include "suites/client_pool.h"
#include "suites/datagram_client.h"
#include "suites/payloads.h"
#include "suites/stream_client.h"
#include "suites/suite_tables.h"

namespace sockspec::suites {

namespace {

// Reads `bytes` of the stream, following the pattern in `observer`; the problem if the stream stops first.
std::optional<std::string> readStream(StreamClient& client, std::size_t bytes, const CheckContext& context,
                                      ChargenObserver& observer) {
  std::vector<std::uint8_t> chunk;
  while (observer.received() < bytes) {
    chunk.clear();
    StreamEnd end = client.readUntilSize(chunk, std::min<std::size_t>(64 * 1024, bytes - observer.received()),
                                         context.deadline);
    observer.feed(chunk);
    if (end.kind != StreamEnd::Kind::Complete) {
      return describeShortfall("bytes", bytes, observer.received(), end, context.timeout);
    }
  }
  return std::nullopt;
}

std::optional<std::string> readStream(StreamClient& client, std::size_t bytes, const CheckContext& context) {
  ChargenObserver observer;
  return readStream(client, bytes, context, observer);
}

CheckOutcome outcomeOf(const std::optional<std::string>& problem) {
  return problem ? CheckOutcome::fail(*problem) : CheckOutcome::pass();
}

CheckOutcome pattern(const CheckContext& context) {
  auto client = StreamClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  ChargenObserver observer;
  if (auto problem = readStream(*client, 1024 * 1024, context, observer)) return CheckOutcome::fail(*problem);
  return CheckOutcome::pass(observer.note().value_or(""));
}

CheckOutcome ignoresInput(const CheckContext& context) {
  // RFC 864: "any data received is thrown away". Sending must not stop the stream.
  auto client = StreamClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  if (auto problem = readStream(*client, 16 * 1024, context)) return CheckOutcome::fail(*problem);
  const std::string_view text = "please stop\r\n";
  for (int i = 0; i < 64; ++i) {
    if (auto sent = client->sendAll(net::asBytes(text), context.deadline, context.timeout); !sent) {
      return CheckOutcome::fail(fmt::format("send: {}", sent.error()));
    }
  }
  if (auto problem = readStream(*client, 256 * 1024, context)) {
    return CheckOutcome::fail(fmt::format("after input: {}", *problem));
  }
  return CheckOutcome::pass();
}

CheckOutcome clientClose(const CheckContext& context) {
  // A client that closes mid-stream (with data unread: RST, tcp_close()) costs the server an EPIPE or
  // ECONNRESET on its next send; another client's stream must go on.
  auto bystander = StreamClient::connect(context.target, context.deadline);
  if (!bystander) return CheckOutcome::fail(fmt::format("client B: {}", bystander.error()));
  if (auto problem = readStream(*bystander, 64 * 1024, context)) {
    return CheckOutcome::fail(fmt::format("client B: {}", *problem));
  }
  for (int i = 0; i < 8; ++i) {
    auto leaver = StreamClient::connect(context.target, context.deadline);
    if (!leaver) return CheckOutcome::fail(fmt::format("client A{}: {}", i + 1, leaver.error()));
    if (auto problem = readStream(*leaver, 8 * 1024, context)) {
      return CheckOutcome::fail(fmt::format("client A{}: {}", i + 1, *problem));
    }
    if (i % 2 == 0) {
      leaver->abort();
    } else {
      leaver->close();
    }
  }
  if (auto problem = readStream(*bystander, 256 * 1024, context)) {
    return CheckOutcome::fail(fmt::format("client B, after 8 others closed mid-stream: {}", *problem));
  }
  return CheckOutcome::pass();
}

CheckOutcome concurrentClients(const CheckContext& context) {
  constexpr std::size_t kClients = 32;
  constexpr std::size_t kBytes = 64 * 1024;
  std::vector<PoolRequest> requests(kClients);
  for (auto& request : requests) request.expectBytes = kBytes;
  auto results = runClientPool(context.target, requests, context.deadline);
  auto problem = summarizePool(results, [&](std::size_t, const PoolResult& result) -> std::optional<std::string> {
    if (result.end.kind == StreamEnd::Kind::Complete) return std::nullopt;
    return describeShortfall("bytes", kBytes, result.received.size(), result.end, context.timeout);
  });
  return outcomeOf(problem);
}

// One request and its reply. Fails on no reply or one over 512 bytes (the RFC's only limits); otherwise the
// note on what the reply holds (empty when it is the recommended pattern).
Expected<std::string, std::string> datagramExchange(DatagramClient& client, net::Bytes request,
                                                    const CheckContext& context) {
  if (auto sent = client.send(request, context.deadline); !sent) return Unexpected{sent.error()};
  auto reply = client.receive(context.deadline);
  if (reply.kind != DatagramReply::Kind::Received) {
    return Unexpected{
        fmt::format("sent a {}-byte datagram: {}", request.size(), describeMissingReply(reply, context.timeout))};
  }
  if (reply.fullSize > kMaxDatagramCharacters) {
    return Unexpected{fmt::format("sent a {}-byte datagram: the reply has {} bytes; RFC 864 allows 0 to {}",
                                  request.size(), reply.fullSize, kMaxDatagramCharacters)};
  }
  return chargenDatagramNote(reply.data).value_or("");
}

CheckOutcome datagramReply(const CheckContext& context) {
  auto client = DatagramClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  auto exchanged = datagramExchange(*client, net::asBytes("chargen?"), context);
  if (!exchanged) return CheckOutcome::fail(exchanged.error());
  return CheckOutcome::pass(*exchanged);
}

CheckOutcome datagramEachRequest(const CheckContext& context) {
  // "the data in the received datagram is ignored": an empty one and a large one are answered too.
  auto client = DatagramClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  const std::vector<std::vector<std::uint8_t>> requests{{}, makePayload(30, 1), makePayload(31, 1024),
                                                        makePayload(32, 8192)};
  for (const auto& request : requests) {
    if (auto exchanged = datagramExchange(*client, request, context); !exchanged) {
      return CheckOutcome::fail(exchanged.error());
    }
  }
  return CheckOutcome::pass();
}

CheckOutcome liveness(const CheckContext& context) {
  if (!net::isConnectionOriented(context.target.transport)) return datagramReply(context);
  auto client = StreamClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  return outcomeOf(readStream(*client, 4096, context));
}

constexpr std::string_view kTcpSource = "RFC 864 (TCP based character generator service)";
constexpr std::string_view kUdpSource = "RFC 864 (UDP based character generator service)";

constexpr std::array kChargenChecks{
    ServiceCheck{"chargen.pattern",
                 "1 MiB keeps coming; a note says so when it is not the recommended 72-column rotating pattern",
                 kTcpSource, kConnected, pattern},
    ServiceCheck{"chargen.ignores-input", "data the client sends is thrown away; 256 KiB more keep coming",
                 kTcpSource, kConnected, ignoresInput},
    ServiceCheck{"chargen.client-close",
                 "clients that close or reset mid-stream do not stop another client's stream",
                 "RFC 864; RFC 2525 2.17 (close with unread data sends RST)", kConnected, clientClose},
    ServiceCheck{"chargen.concurrent-clients", "32 clients at once each get 64 KiB", kTcpSource,
                 kConnected, concurrentClients},
    ServiceCheck{"chargen.datagram-reply", "a datagram is answered with 0 to 512 characters (a note when not the recommended pattern)",
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
