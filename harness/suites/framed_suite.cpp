// The framed suite (docs/framed-protocol.md): the handshake, each request's reply, frames split and joined
// at any byte, the header faults refused before any payload is waited for, and the orderly close after
// BYE_REPLY or ERROR.
#include <algorithm>
#include <array>
#include <thread>

#include <fmt/format.h>

#include "suites/client_pool.h"
#include "suites/framed_client.h"
#include "suites/payloads.h"
#include "suites/suite_tables.h"

namespace sockspec::suites {

namespace {

using proto::ErrorCode;
using proto::Frame;
using proto::FrameType;

constexpr std::string_view kSpec = "docs/framed-protocol.md";

std::vector<std::uint8_t> bytesOf(std::string_view text) { return {text.begin(), text.end()}; }

CheckOutcome outcomeOf(const std::optional<std::string>& problem) {
  return problem ? CheckOutcome::fail(*problem) : CheckOutcome::pass();
}

// Connects and completes the handshake; the failure outcome otherwise.
std::optional<CheckOutcome> startSession(std::optional<FramedClient>& client, const CheckContext& context,
                                         std::uint32_t* maxPayload = nullptr, const ConnectOptions& options = {}) {
  auto connected = FramedClient::connect(context, options);
  if (!connected) return CheckOutcome::fail(connected.error());
  client.emplace(std::move(*connected));
  auto announced = client->handshake(context);
  if (!announced) return CheckOutcome::fail(announced.error());
  if (maxPayload != nullptr) *maxPayload = *announced;
  return std::nullopt;
}

// Reads one reply of `type` whose payload must be `payload`.
std::optional<std::string> expectReply(FramedClient& client, FrameType type, const std::vector<std::uint8_t>& payload,
                                       const CheckContext& context, std::string_view request) {
  Frame frame;
  if (auto problem = client.expectFrame(type, context, &frame)) return fmt::format("{}: {}", request, *problem);
  if (auto wrong = firstDifference(payload, frame.payload)) return fmt::format("{}: the reply differs at {}", request, *wrong);
  if (frame.payload.size() != payload.size()) {
    return fmt::format("{}: expected {} payload bytes back, got {}", request, payload.size(), frame.payload.size());
  }
  return std::nullopt;
}

std::optional<std::string> expectStats(FramedClient& client, std::uint64_t frames, std::uint64_t bytes,
                                       const CheckContext& context) {
  Frame frame;
  if (auto problem = client.expectFrame(FrameType::StatsReply, context, &frame)) return fmt::format("STATS: {}", *problem);
  proto::StatsInfo info;
  (void)proto::readStatsReply(frame, info);
  if (info.frames != frames || info.bytes != bytes) {
    return fmt::format("STATS: expected {} frames and {} payload bytes, got {} and {}", frames, bytes, info.frames,
                       info.bytes);
  }
  return std::nullopt;
}

CheckOutcome handshakeRequired(const CheckContext& context) {
  auto client = FramedClient::connect(context);
  if (!client) return CheckOutcome::fail(client.error());
  if (auto sent = client->send(Frame{FrameType::Echo, bytesOf("hi")}, context); !sent) return CheckOutcome::fail(sent.error());
  return outcomeOf(client->expectError(ErrorCode::HandshakeRequired, context));
}

CheckOutcome helloWelcome(const CheckContext& context) {
  std::optional<FramedClient> client;
  std::uint32_t maxPayload = 0;
  if (auto failed = startSession(client, context, &maxPayload)) return *failed;
  // The largest valid HELLO has a 65-byte payload; a smaller limit refuses valid handshakes.
  if (maxPayload < 1 + proto::kMaxClientNameBytes) {
    return CheckOutcome::fail(fmt::format("WELCOME announces a maximum payload of {}, below the 65 a HELLO may need",
                                          maxPayload));
  }
  return CheckOutcome::pass(fmt::format("maximum payload {}", maxPayload));
}

CheckOutcome echoRequest(const CheckContext& context) {
  std::optional<FramedClient> client;
  if (auto failed = startSession(client, context)) return *failed;
  for (const auto& payload : {bytesOf("hello, framed"), std::vector<std::uint8_t>{}, everyByteValue(),
                              makePayload(40, 4096)}) {
    if (auto sent = client->send(Frame{FrameType::Echo, payload}, context); !sent) return CheckOutcome::fail(sent.error());
    auto request = fmt::format("ECHO of {} bytes", payload.size());
    if (auto problem = expectReply(*client, FrameType::EchoReply, payload, context, request)) {
      return CheckOutcome::fail(*problem);
    }
  }
  return CheckOutcome::pass();
}

CheckOutcome reverseRequest(const CheckContext& context) {
  std::optional<FramedClient> client;
  if (auto failed = startSession(client, context)) return *failed;
  for (const auto& payload : {bytesOf("stressed"), std::vector<std::uint8_t>{}, makePayload(41, 4096)}) {
    if (auto sent = client->send(Frame{FrameType::Reverse, payload}, context); !sent) return CheckOutcome::fail(sent.error());
    std::vector<std::uint8_t> reversed(payload.rbegin(), payload.rend());
    auto request = fmt::format("REVERSE of {} bytes", payload.size());
    if (auto problem = expectReply(*client, FrameType::ReverseReply, reversed, context, request)) {
      return CheckOutcome::fail(*problem);
    }
  }
  return CheckOutcome::pass();
}

CheckOutcome statsRequest(const CheckContext& context) {
  // HELLO "sockspec" (9 payload bytes), ECHO "hi" (2), STATS (0): the STATS counts itself, so 3 and 11.
  std::optional<FramedClient> client;
  if (auto failed = startSession(client, context)) return *failed;
  if (auto sent = client->send(Frame{FrameType::Echo, bytesOf("hi")}, context); !sent) return CheckOutcome::fail(sent.error());
  if (auto problem = expectReply(*client, FrameType::EchoReply, bytesOf("hi"), context, "ECHO")) {
    return CheckOutcome::fail(*problem);
  }
  if (auto sent = client->send(Frame{FrameType::Stats, {}}, context); !sent) return CheckOutcome::fail(sent.error());
  return outcomeOf(expectStats(*client, 3, 11, context));
}

CheckOutcome oneByteWrites(const CheckContext& context) {
  // Every byte its own send (TCP_NODELAY, a short pause between): the server must buffer partial headers
  // and payloads, and answer only once a frame is whole.
  auto client = FramedClient::connect(context, ConnectOptions{0, true, 0});
  if (!client) return CheckOutcome::fail(client.error());
  std::vector<std::uint8_t> stream = proto::encodeFrame(proto::makeHello(proto::kProtocolVersion, "sockspec"));
  auto payload = makePayload(42, 32);
  proto::appendFrame(stream, FrameType::Echo, payload);
  proto::appendFrame(stream, FrameType::Stats, {});
  for (std::size_t i = 0; i < stream.size(); ++i) {
    auto sent = client->stream().sendAll(net::Bytes(stream).subspan(i, 1), context.deadline, context.timeout);
    if (!sent) return CheckOutcome::fail(fmt::format("send of byte {} of {}: {}", i + 1, stream.size(), sent.error()));
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  if (auto problem = client->expectFrame(FrameType::Welcome, context)) return CheckOutcome::fail(fmt::format("HELLO: {}", *problem));
  if (auto problem = expectReply(*client, FrameType::EchoReply, payload, context, "ECHO")) return CheckOutcome::fail(*problem);
  return outcomeOf(expectStats(*client, 3, 9 + payload.size(), context));
}

CheckOutcome coalescedFrames(const CheckContext& context) {
  // HELLO, 50 requests, STATS and BYE in one write: 53 replies in order, then EOF.
  constexpr std::size_t kRequests = 50;
  auto client = FramedClient::connect(context);
  if (!client) return CheckOutcome::fail(client.error());
  std::vector<std::uint8_t> stream = proto::encodeFrame(proto::makeHello(proto::kProtocolVersion, "sockspec"));
  std::vector<std::vector<std::uint8_t>> payloads;
  std::uint64_t payloadBytes = 9;
  for (std::size_t i = 0; i < kRequests; ++i) {
    payloads.push_back(makePayload(500 + i, 1 + i * 7));
    payloadBytes += payloads.back().size();
    proto::appendFrame(stream, i % 2 == 0 ? FrameType::Echo : FrameType::Reverse, payloads.back());
  }
  proto::appendFrame(stream, FrameType::Stats, {});
  proto::appendFrame(stream, FrameType::Bye, {});
  if (auto sent = client->send(stream, context); !sent) return CheckOutcome::fail(sent.error());
  if (auto problem = client->expectFrame(FrameType::Welcome, context)) return CheckOutcome::fail(fmt::format("HELLO: {}", *problem));
  for (std::size_t i = 0; i < kRequests; ++i) {
    bool echo = i % 2 == 0;
    std::vector<std::uint8_t> expected = payloads[i];
    if (!echo) std::reverse(expected.begin(), expected.end());
    auto request = fmt::format("request {} of {} ({})", i + 1, kRequests, echo ? "ECHO" : "REVERSE");
    if (auto problem = expectReply(*client, echo ? FrameType::EchoReply : FrameType::ReverseReply, expected, context, request)) {
      return CheckOutcome::fail(*problem);
    }
  }
  if (auto problem = expectStats(*client, kRequests + 2, payloadBytes, context)) return CheckOutcome::fail(*problem);
  if (auto problem = client->expectFrame(FrameType::ByeReply, context)) return CheckOutcome::fail(fmt::format("BYE: {}", *problem));
  return outcomeOf(client->expectOrderlyClose("BYE_REPLY", context));
}

CheckOutcome tooLarge(const CheckContext& context) {
  // Only the header is sent: a server that waits for the payload before refusing never answers.
  std::optional<FramedClient> client;
  std::uint32_t maxPayload = 0;
  if (auto failed = startSession(client, context, &maxPayload)) return *failed;
  if (maxPayload == UINT32_MAX) return CheckOutcome::skip("the server announces no limit below 2^32 - 1");
  std::vector<std::uint8_t> header;
  proto::appendFrameHeader(header, FrameType::Echo, maxPayload + 1);
  if (auto sent = client->send(header, context); !sent) return CheckOutcome::fail(sent.error());
  return outcomeOf(client->expectError(ErrorCode::TooLarge, context));
}

CheckOutcome unknownType(const CheckContext& context) {
  std::optional<FramedClient> client;
  if (auto failed = startSession(client, context)) return *failed;
  const std::vector<std::uint8_t> frame{0x33, 0, 0, 0, 0, 0};  // 0x33 names no frame type
  if (auto sent = client->send(frame, context); !sent) return CheckOutcome::fail(sent.error());
  return outcomeOf(client->expectError(ErrorCode::UnknownType, context));
}

CheckOutcome reservedFlags(const CheckContext& context) {
  std::optional<FramedClient> client;
  if (auto failed = startSession(client, context)) return *failed;
  const std::vector<std::uint8_t> frame{static_cast<std::uint8_t>(FrameType::Echo), 0x01, 0, 0, 0, 2, 'h', 'i'};
  if (auto sent = client->send(frame, context); !sent) return CheckOutcome::fail(sent.error());
  return outcomeOf(client->expectError(ErrorCode::ReservedFlags, context));
}

CheckOutcome bye(const CheckContext& context) {
  std::optional<FramedClient> client;
  if (auto failed = startSession(client, context)) return *failed;
  if (auto sent = client->send(Frame{FrameType::Bye, {}}, context); !sent) return CheckOutcome::fail(sent.error());
  if (auto problem = client->expectFrame(FrameType::ByeReply, context)) return CheckOutcome::fail(fmt::format("BYE: {}", *problem));
  return outcomeOf(client->expectOrderlyClose("BYE_REPLY", context));
}

CheckOutcome concurrentSessions(const CheckContext& context) {
  constexpr std::size_t kSessions = 50;
  std::vector<PoolRequest> requests(kSessions);
  std::vector<std::vector<std::uint8_t>> payloads;
  for (std::size_t i = 0; i < kSessions; ++i) {
    payloads.push_back(makePayload(600 + i, 256));
    auto& bytes = requests[i].request;
    bytes = proto::encodeFrame(proto::makeHello(proto::kProtocolVersion, fmt::format("client {}", i + 1)));
    proto::appendFrame(bytes, FrameType::Echo, payloads[i]);
    proto::appendFrame(bytes, FrameType::Bye, {});
    requests[i].readToEof = true;
    requests[i].expectBytes = 64 * 1024;
  }
  auto results = runClientPool(context.target, requests, context.deadline);
  return outcomeOf(summarizePool(results, [&](std::size_t i, const PoolResult& result) -> std::optional<std::string> {
    std::vector<Frame> frames;
    std::span<const std::uint8_t> rest = result.received;
    while (!rest.empty()) {
      auto decoded = proto::decodeFrame(rest, 16 * 1024 * 1024);
      if (decoded.status != proto::DecodeStatus::Complete) break;
      frames.push_back(std::move(decoded.frame));
      rest = rest.subspan(decoded.consumed);
    }
    const std::array expectedTypes{FrameType::Welcome, FrameType::EchoReply, FrameType::ByeReply};
    for (std::size_t k = 0; k < expectedTypes.size(); ++k) {
      if (k >= frames.size()) {
        FramedRead missing;
        missing.end = result.end;
        return fmt::format("expected {}: {}", proto::frameTypeName(expectedTypes[k]),
                           describeMissingFrame(missing, context));
      }
      if (frames[k].type != expectedTypes[k]) {
        return fmt::format("expected {}, got {}", proto::frameTypeName(expectedTypes[k]), proto::describeFrame(frames[k]));
      }
    }
    if (frames[1].payload != payloads[i]) return std::string("ECHO_REPLY carries another client's bytes or wrong ones");
    if (frames.size() > 3 || !rest.empty()) return std::string("more bytes after BYE_REPLY");
    if (result.end.kind == StreamEnd::Kind::Eof) return std::nullopt;
    if (result.end.kind == StreamEnd::Kind::Reset) {
      return fmt::format("after BYE_REPLY the connection was reset ({})", result.end.error.describe());
    }
    return fmt::format("after BYE_REPLY: no EOF {}", describeEnd(result.end, context.timeout));
  }));
}

CheckOutcome liveness(const CheckContext& context) {
  std::optional<FramedClient> client;
  if (auto failed = startSession(client, context)) return *failed;
  if (auto sent = client->send(Frame{FrameType::Echo, bytesOf("still there?")}, context); !sent) {
    return CheckOutcome::fail(sent.error());
  }
  if (auto problem = expectReply(*client, FrameType::EchoReply, bytesOf("still there?"), context, "ECHO")) {
    return CheckOutcome::fail(*problem);
  }
  if (auto sent = client->send(Frame{FrameType::Bye, {}}, context); !sent) return CheckOutcome::fail(sent.error());
  if (auto problem = client->expectFrame(FrameType::ByeReply, context)) return CheckOutcome::fail(fmt::format("BYE: {}", *problem));
  return outcomeOf(client->expectOrderlyClose("BYE_REPLY", context));
}

constexpr std::string_view kHandshake = "docs/framed-protocol.md, Handshake and requests";
constexpr std::string_view kHeader = "docs/framed-protocol.md, Frame layout (header faults) and Orderly close";

constexpr std::array kFramedChecks{
    ServiceCheck{"framed.handshake-required",
                 "a request before HELLO gets ERROR HANDSHAKE_REQUIRED, then an orderly close", kHandshake, kConnected,
                 handshakeRequired},
    ServiceCheck{"framed.hello-welcome", "HELLO gets WELCOME version 1 with a usable maximum payload", kHandshake,
                 kConnected, helloWelcome},
    ServiceCheck{"framed.echo", "ECHO gets ECHO_REPLY with the same bytes (empty, 768 byte values, 4 KiB)", kSpec,
                 kConnected, echoRequest},
    ServiceCheck{"framed.reverse", "REVERSE gets REVERSE_REPLY with the bytes reversed", kSpec, kConnected,
                 reverseRequest},
    ServiceCheck{"framed.stats", "STATS counts every frame and payload byte, itself included", kSpec, kConnected,
                 statsRequest},
    ServiceCheck{"framed.one-byte-writes", "frames written one byte per send get the same replies",
                 "docs/framed-protocol.md (frames may arrive split at any byte)", kConnected, oneByteWrites},
    ServiceCheck{"framed.coalesced-frames", "HELLO, 50 requests, STATS and BYE in one write: all answered in order",
                 "docs/framed-protocol.md (several frames to a read; pipelining)", kConnected, coalescedFrames},
    ServiceCheck{"framed.too-large",
                 "a header claiming more than the maximum payload gets ERROR TOO_LARGE before any payload is sent",
                 "docs/framed-protocol.md, Maximum frame size", kConnected, tooLarge},
    ServiceCheck{"framed.unknown-type", "an unassigned type byte gets ERROR UNKNOWN_TYPE, then an orderly close",
                 kHeader, kConnected, unknownType},
    ServiceCheck{"framed.reserved-flags", "a flags byte other than 0 gets ERROR RESERVED_FLAGS, then an orderly close",
                 kHeader, kConnected, reservedFlags},
    ServiceCheck{"framed.bye", "BYE gets BYE_REPLY, then EOF (not RST)", "docs/framed-protocol.md, Orderly close",
                 kConnected, bye},
    ServiceCheck{"framed.concurrent-sessions", "50 sessions at once each get their own replies and an orderly close",
                 kSpec, kConnected, concurrentSessions},
    ServiceCheck{"framed.liveness", "the server still serves a new session after all the checks above", kSpec,
                 kConnected, liveness},
};

}  // namespace

std::span<const ServiceCheck> framedChecks() { return kFramedChecks; }

}  // namespace sockspec::suites
