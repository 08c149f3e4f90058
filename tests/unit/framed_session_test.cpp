// The server side of a `framed` connection: the handshake, each request, every error with its code, the
// replies' independence from how the stream is split, and the bound on buffering.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "proto/framed_codec.h"
#include "proto/framed_session.h"

using namespace sockspec::proto;

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes bytesOf(const std::vector<Frame>& frames) {
  Bytes out;
  for (const Frame& frame : frames) appendFrame(out, frame.type, frame.payload);
  return out;
}

Bytes bytesOf(const Frame& frame) { return encodeFrame(frame); }

// Decodes what the server sent, as a client would; anything but whole valid frames fails the test.
std::vector<Frame> repliesIn(const Bytes& out) {
  std::vector<Frame> frames;
  std::span<const std::uint8_t> rest = out;
  while (!rest.empty()) {
    const DecodeResult result = decodeFrame(rest, 0xffffffff);
    INFO(result.message);
    REQUIRE(result.status == DecodeStatus::Complete);
    frames.push_back(result.frame);
    rest = rest.subspan(result.consumed);
  }
  return frames;
}

ErrorInfo onlyError(const Bytes& out) {
  const std::vector<Frame> frames = repliesIn(out);
  REQUIRE(frames.size() == 1);
  ErrorInfo error;
  REQUIRE(readError(frames[0], error));
  return error;
}

Bytes helloBytes() { return bytesOf(makeHello()); }

// A session past its handshake, with the Welcome already taken out of the way.
FramedSession readySession(std::uint32_t maxPayload = kDefaultMaxPayload) {
  FramedSession session(maxPayload);
  Bytes out;
  REQUIRE(session.onBytes(helloBytes(), out) == SessionState::Ready);
  return session;
}

const std::vector<FrameType> kServerOnlyTypes{FrameType::Welcome,    FrameType::EchoReply,
                                              FrameType::ReverseReply, FrameType::StatsReply,
                                              FrameType::ByeReply,   FrameType::Error};

Frame validFrameOf(FrameType type) {
  switch (type) {
    case FrameType::Welcome: return makeWelcome(100);
    case FrameType::StatsReply: return makeStatsReply(1, 2);
    case FrameType::Error: return makeError(ErrorCode::BadPayload, "x");
    case FrameType::EchoReply:
    case FrameType::ReverseReply: return Frame{type, {1, 2}};
    default: return Frame{type, {}};
  }
}

Bytes randomBytes(std::mt19937& rng, std::size_t size) {
  std::uniform_int_distribution<int> byte(0, 255);
  Bytes out(size);
  for (auto& b : out) b = static_cast<std::uint8_t>(byte(rng));
  return out;
}

// A whole conversation, with bytes after the Bye that must be ignored.
struct Conversation {
  Bytes stream;
  std::vector<Frame> expectedReplies;
};

Conversation makeConversation() {
  std::mt19937 rng(7);
  const Bytes big = randomBytes(rng, 1000);
  const Bytes oneByte{0x42};
  Conversation c;
  c.stream = bytesOf({
      makeHello(1, "t"),                         // 2 payload bytes
      Frame{FrameType::Echo, {'h', 'e', 'l', 'l', 'o'}},  // 5
      Frame{FrameType::Reverse, {'a', 'b', 'c', 'd', 'e', 'f'}},  // 6
      Frame{FrameType::Stats, {}},               // 4 frames, 13 bytes
      Frame{FrameType::Echo, big},               // 1000
      Frame{FrameType::Echo, {}},                // 0
      Frame{FrameType::Reverse, oneByte},        // 1
      Frame{FrameType::Stats, {}},               // 8 frames, 1014 bytes
      Frame{FrameType::Bye, {}},
      Frame{FrameType::Echo, {'l', 'a', 't', 'e'}},  // after Bye: ignored
      Frame{FrameType::Hello, {}},                   // after Bye: not even checked
  });
  c.expectedReplies = {
      makeWelcome(kDefaultMaxPayload),
      Frame{FrameType::EchoReply, {'h', 'e', 'l', 'l', 'o'}},
      Frame{FrameType::ReverseReply, {'f', 'e', 'd', 'c', 'b', 'a'}},
      makeStatsReply(4, 13),
      Frame{FrameType::EchoReply, big},
      Frame{FrameType::EchoReply, {}},
      Frame{FrameType::ReverseReply, oneByte},
      makeStatsReply(8, 1014),
      Frame{FrameType::ByeReply, {}},
  };
  return c;
}

// Feeds `stream` in chunks of the given sizes (the last chunk takes the rest) and checks the buffering
// bound after every call.
Bytes feedInChunks(FramedSession& session, const Bytes& stream, const std::vector<std::size_t>& sizes,
                   std::uint32_t maxPayload = kDefaultMaxPayload) {
  Bytes out;
  std::span<const std::uint8_t> rest = stream;
  for (std::size_t size : sizes) {
    const std::size_t take = std::min(size, rest.size());
    session.onBytes(rest.first(take), out);
    REQUIRE(session.bufferedBytes() < kHeaderSize + maxPayload);
    rest = rest.subspan(take);
  }
  session.onBytes(rest, out);
  return out;
}

}  // namespace

TEST_CASE("HELLO is answered with WELCOME carrying the server's maximum payload", "[framed][session]") {
  FramedSession session(4096);
  CHECK(session.state() == SessionState::AwaitingHello);
  Bytes out;
  CHECK(session.onBytes(bytesOf(makeHello(1, "client")), out) == SessionState::Ready);
  const std::vector<Frame> replies = repliesIn(out);
  REQUIRE(replies.size() == 1);
  WelcomeInfo welcome;
  REQUIRE(readWelcome(replies[0], welcome));
  CHECK(welcome.version == kProtocolVersion);
  CHECK(welcome.maxPayload == 4096);
}

TEST_CASE("a request before HELLO is HandshakeRequired and closes", "[framed][session]") {
  const auto type = GENERATE(FrameType::Echo, FrameType::Reverse, FrameType::Stats, FrameType::Bye);
  FramedSession session;
  Bytes out;
  CHECK(session.onBytes(bytesOf(Frame{type, {}}), out) == SessionState::Closing);
  const ErrorInfo error = onlyError(out);
  CHECK(error.code == ErrorCode::HandshakeRequired);
  CHECK(error.message == std::string(frameTypeName(type)) + " before HELLO: the first frame must be HELLO");
}

TEST_CASE("HELLO with another version is UnsupportedVersion", "[framed][session]") {
  const std::uint8_t version = GENERATE(std::uint8_t{0}, std::uint8_t{2}, std::uint8_t{255});
  FramedSession session;
  Bytes out;
  CHECK(session.onBytes(bytesOf(makeHello(version)), out) == SessionState::Closing);
  const ErrorInfo error = onlyError(out);
  CHECK(error.code == ErrorCode::UnsupportedVersion);
  CHECK(error.message ==
        "HELLO asks for version " + std::to_string(version) + ", this server speaks version 1");
}

TEST_CASE("ECHO and REVERSE are answered with the same and the reversed bytes", "[framed][session]") {
  FramedSession session = readySession();
  std::mt19937 rng(Catch::rngSeed());
  const Bytes payload = randomBytes(rng, 300);
  Bytes reversed(payload.rbegin(), payload.rend());
  Bytes out;
  CHECK(session.onBytes(bytesOf({Frame{FrameType::Echo, payload}, Frame{FrameType::Reverse, payload},
                                 Frame{FrameType::Reverse, {}}}),
                        out) == SessionState::Ready);
  const std::vector<Frame> replies = repliesIn(out);
  REQUIRE(replies.size() == 3);
  CHECK(replies[0] == Frame{FrameType::EchoReply, payload});
  CHECK(replies[1] == Frame{FrameType::ReverseReply, reversed});
  CHECK(replies[2] == Frame{FrameType::ReverseReply, {}});
}

TEST_CASE("ECHO of exactly the maximum payload is served", "[framed][session]") {
  FramedSession session = readySession(512);
  const Bytes payload(512, 0x33);
  Bytes out;
  CHECK(session.onBytes(bytesOf(Frame{FrameType::Echo, payload}), out) == SessionState::Ready);
  CHECK(repliesIn(out) == std::vector<Frame>{Frame{FrameType::EchoReply, payload}});
}

TEST_CASE("STATS counts frames and payload bytes including the STATS request itself", "[framed][session]") {
  FramedSession session;
  Bytes out;
  session.onBytes(bytesOf({makeHello(1, "ab"), Frame{FrameType::Stats, {}}}), out);
  session.onBytes(bytesOf({Frame{FrameType::Echo, Bytes(10, 1)}, Frame{FrameType::Stats, {}}}), out);
  const std::vector<Frame> replies = repliesIn(out);
  REQUIRE(replies.size() == 4);
  StatsInfo first;
  REQUIRE(readStatsReply(replies[1], first));
  CHECK(first.frames == 2);  // HELLO and this STATS
  CHECK(first.bytes == 3);   // version byte + "ab"
  StatsInfo second;
  REQUIRE(readStatsReply(replies[3], second));
  CHECK(second.frames == 4);
  CHECK(second.bytes == 13);
  CHECK(session.framesReceived() == 4);
  CHECK(session.payloadBytesReceived() == 13);
}

TEST_CASE("BYE is answered with BYE_REPLY, then the session closes and ignores later input", "[framed][session]") {
  FramedSession session = readySession();
  Bytes out;
  CHECK(session.onBytes(bytesOf(Frame{FrameType::Bye, {}}), out) == SessionState::Closing);
  CHECK(repliesIn(out) == std::vector<Frame>{Frame{FrameType::ByeReply, {}}});
  const auto frames = session.framesReceived();
  const auto bytes = session.payloadBytesReceived();

  out.clear();
  CHECK(session.onBytes(bytesOf({Frame{FrameType::Echo, {1, 2}}, Frame{FrameType::Stats, {}}}), out) ==
        SessionState::Closing);
  CHECK(session.onBytes(Bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, out) == SessionState::Closing);
  CHECK(session.onBytes(Bytes{0x10, 0x00, 0x00}, out) == SessionState::Closing);  // not buffered either
  CHECK(out.empty());
  CHECK(session.bufferedBytes() == 0);
  CHECK(session.framesReceived() == frames);
  CHECK(session.payloadBytesReceived() == bytes);
}

TEST_CASE("frames after BYE in the same read are not answered", "[framed][session]") {
  FramedSession session;
  Bytes out;
  CHECK(session.onBytes(bytesOf({makeHello(), Frame{FrameType::Bye, {}}, Frame{FrameType::Echo, {1}}}), out) ==
        SessionState::Closing);
  const std::vector<Frame> replies = repliesIn(out);
  REQUIRE(replies.size() == 2);
  CHECK(replies[1].type == FrameType::ByeReply);
  CHECK(session.framesReceived() == 2);
}

TEST_CASE("a second HELLO is UnexpectedHello, whatever its version", "[framed][session]") {
  const std::uint8_t version = GENERATE(std::uint8_t{1}, std::uint8_t{2});
  FramedSession session = readySession();
  Bytes out;
  CHECK(session.onBytes(bytesOf(makeHello(version)), out) == SessionState::Closing);
  const ErrorInfo error = onlyError(out);
  CHECK(error.code == ErrorCode::UnexpectedHello);
  CHECK(error.message == "second HELLO on this connection");
}

TEST_CASE("a server-only frame type from the client is UnknownType, before or after HELLO",
          "[framed][session]") {
  const bool afterHello = GENERATE(false, true);
  for (FrameType type : kServerOnlyTypes) {
    INFO(frameTypeName(type) << (afterHello ? " after HELLO" : " before HELLO"));
    FramedSession session = afterHello ? readySession() : FramedSession();
    Bytes out;
    CHECK(session.onBytes(bytesOf(validFrameOf(type)), out) == SessionState::Closing);
    const ErrorInfo error = onlyError(out);
    CHECK(error.code == ErrorCode::UnknownType);
    CHECK(error.message ==
          std::string(frameTypeName(type)) + " is a server-to-client frame; a client may not send it");
  }
}

TEST_CASE("a malformed frame is answered with its error code and closes", "[framed][session]") {
  struct Case {
    const char* what;
    Bytes bytes;
    ErrorCode code;
    const char* message;
  };
  const std::vector<Case> cases{
      {"reserved flags", {0x10, 0x01, 0, 0, 0, 0}, ErrorCode::ReservedFlags, "flags byte is 0x01, must be 0"},
      {"unknown type", {0x55, 0x00, 0, 0, 0, 0}, ErrorCode::UnknownType, "unknown frame type 0x55"},
      {"too large", {0x10, 0x00, 0x00, 0x01, 0x11, 0x70}, ErrorCode::TooLarge,
       "frame length 70000 exceeds the maximum 65536"},
      {"STATS with a payload", {0x14, 0x00, 0, 0, 0, 1, 0xaa}, ErrorCode::BadPayload,
       "STATS takes no payload, got 1 byte"},
      {"HELLO without a version", {0x01, 0x00, 0, 0, 0, 0}, ErrorCode::BadPayload,
       "HELLO needs at least 1 byte (the protocol version)"},
  };
  const bool afterHello = GENERATE(false, true);
  for (const Case& c : cases) {
    // Header faults outrank the handshake: the same code before and after HELLO.
    INFO(c.what << (afterHello ? " after HELLO" : " before HELLO"));
    FramedSession session = afterHello ? readySession() : FramedSession();
    const auto framesBefore = session.framesReceived();
    Bytes out;
    CHECK(session.onBytes(c.bytes, out) == SessionState::Closing);
    const ErrorInfo error = onlyError(out);
    CHECK(error.code == c.code);
    CHECK(error.message == c.message);
    CHECK(session.framesReceived() == framesBefore);  // a malformed frame is not a frame
    CHECK(session.bufferedBytes() == 0);
  }
}

TEST_CASE("an oversize length is refused from the header alone, however it is split", "[framed][session]") {
  const Bytes header{0x10, 0x00, 0xff, 0xff, 0xff, 0xff};
  for (std::size_t split = 0; split < header.size(); ++split) {  // the first piece is never a full header
    INFO("split at " << split);
    FramedSession session = readySession();
    Bytes out;
    session.onBytes(std::span<const std::uint8_t>(header).first(split), out);
    CHECK(out.empty());
    CHECK(session.onBytes(std::span<const std::uint8_t>(header).subspan(split), out) == SessionState::Closing);
    CHECK(onlyError(out).code == ErrorCode::TooLarge);
    CHECK(session.bufferedBytes() == 0);
  }
}

TEST_CASE("only one ERROR is sent, however many bad frames follow in the same read", "[framed][session]") {
  FramedSession session;
  Bytes out;
  Bytes stream = bytesOf({Frame{FrameType::Echo, {1}}, makeHello(), Frame{FrameType::Echo, {2}}});
  stream.insert(stream.end(), {0x55, 0x01, 0xff, 0xff, 0xff, 0xff});
  CHECK(session.onBytes(stream, out) == SessionState::Closing);
  CHECK(onlyError(out).code == ErrorCode::HandshakeRequired);
}

TEST_CASE("the replies do not depend on how the stream is split", "[framed][session]") {
  const Conversation c = makeConversation();
  Bytes whole;
  FramedSession reference;
  CHECK(reference.onBytes(c.stream, whole) == SessionState::Closing);
  REQUIRE(repliesIn(whole) == c.expectedReplies);
  CHECK(reference.framesReceived() == 9);

  SECTION("byte by byte") {
    FramedSession session;
    const Bytes out = feedInChunks(session, c.stream, std::vector<std::size_t>(c.stream.size(), 1));
    CHECK(out == whole);
    CHECK(session.state() == SessionState::Closing);
    CHECK(session.framesReceived() == 9);
  }
  SECTION("in two pieces, at every split point") {
    for (std::size_t split = 0; split <= c.stream.size(); ++split) {
      INFO("split at " << split);
      FramedSession session;
      REQUIRE(feedInChunks(session, c.stream, {split}) == whole);
    }
  }
  SECTION("in random pieces, empty ones included") {
    std::mt19937 rng(Catch::rngSeed());
    for (int round = 0; round < 300; ++round) {
      // Mostly small pieces, to cut headers, with the odd large one spanning several frames.
      std::uniform_int_distribution<std::size_t> small(0, 12);
      std::uniform_int_distribution<std::size_t> large(0, 1500);
      std::vector<std::size_t> sizes;
      std::size_t total = 0;
      while (total < c.stream.size()) {
        sizes.push_back(round % 3 == 0 ? large(rng) : small(rng));
        total += sizes.back();
      }
      FramedSession session;
      INFO("round " << round);
      REQUIRE(feedInChunks(session, c.stream, sizes) == whole);
    }
  }
}

TEST_CASE("buffering holds at most one incomplete frame", "[framed][session]") {
  constexpr std::uint32_t kMax = 100;
  SECTION("a maximum-size frame trickled in one byte at a time") {
    FramedSession session = readySession(kMax);
    const Bytes frame = bytesOf(Frame{FrameType::Echo, Bytes(kMax, 9)});
    Bytes out;
    for (std::size_t i = 0; i + 1 < frame.size(); ++i) {
      session.onBytes(std::span<const std::uint8_t>(frame).subspan(i, 1), out);
      REQUIRE(session.bufferedBytes() == i + 1);
    }
    CHECK(out.empty());
    session.onBytes(std::span<const std::uint8_t>(frame).last(1), out);
    CHECK(session.bufferedBytes() == 0);
    CHECK(repliesIn(out) == std::vector<Frame>{Frame{FrameType::EchoReply, Bytes(kMax, 9)}});
  }
  SECTION("complete frames in a read are not buffered; only the incomplete tail is") {
    FramedSession session = readySession(kMax);
    Bytes stream;
    for (int i = 0; i < 1000; ++i) appendFrame(stream, FrameType::Echo, Bytes(50, static_cast<std::uint8_t>(i)));
    const Bytes tail = bytesOf(Frame{FrameType::Echo, Bytes(kMax, 1)});
    stream.insert(stream.end(), tail.begin(), tail.end() - 1);
    // Start mid-frame so the pending path is taken first, then the rest arrives in one large read.
    Bytes out;
    session.onBytes(std::span<const std::uint8_t>(stream).first(3), out);
    CHECK(session.bufferedBytes() == 3);
    session.onBytes(std::span<const std::uint8_t>(stream).subspan(3), out);
    CHECK(session.bufferedBytes() == tail.size() - 1);
    CHECK(repliesIn(out).size() == 1000);
    CHECK(session.state() == SessionState::Ready);
  }
  SECTION("a pending frame does not swallow the frames after it") {
    FramedSession session = readySession(kMax);
    const Bytes stream = bytesOf({Frame{FrameType::Echo, Bytes(kMax, 1)}, Frame{FrameType::Reverse, {1, 2}},
                                  Frame{FrameType::Stats, {}}});
    Bytes out;
    session.onBytes(std::span<const std::uint8_t>(stream).first(kHeaderSize + 10), out);
    CHECK(session.bufferedBytes() == kHeaderSize + 10);
    session.onBytes(std::span<const std::uint8_t>(stream).subspan(kHeaderSize + 10), out);
    CHECK(session.bufferedBytes() == 0);
    const std::vector<Frame> replies = repliesIn(out);
    REQUIRE(replies.size() == 3);
    CHECK(replies[1] == Frame{FrameType::ReverseReply, {2, 1}});
    StatsInfo stats;
    REQUIRE(readStatsReply(replies[2], stats));
    CHECK(stats.frames == 4);
    CHECK(stats.bytes == 1 + kMax + 2);
  }
  SECTION("a frame over the session's maximum is refused, not buffered") {
    FramedSession session = readySession(kMax);
    Bytes out;
    CHECK(session.onBytes(bytesOf(Frame{FrameType::Echo, Bytes(kMax + 1, 1)}), out) == SessionState::Closing);
    const ErrorInfo error = onlyError(out);
    CHECK(error.code == ErrorCode::TooLarge);
    CHECK(error.message == "frame length 101 exceeds the maximum 100");
    CHECK(session.bufferedBytes() == 0);
  }
}

// The same contract the fuzzer checks, run on every build: whatever the bytes and however they are split,
// the session replies only with well-formed frames, stays within its buffer bound, and after Closing the
// last reply was BYE_REPLY or ERROR.
TEST_CASE("random byte streams give well-formed replies and a bounded buffer", "[framed][session]") {
  std::mt19937 rng(Catch::rngSeed());
  std::uniform_int_distribution<int> pick(0, 9);
  std::uniform_int_distribution<std::size_t> chunk(0, 20);
  constexpr std::uint32_t kMax = 16;
  for (int round = 0; round < 2000; ++round) {
    // Valid frames with the odd random byte, so sessions get past HELLO and then go wrong somewhere.
    Bytes stream = helloBytes();
    for (int i = 0; i < 8; ++i) {
      if (pick(rng) == 0) {
        const Bytes junk = randomBytes(rng, chunk(rng));
        stream.insert(stream.end(), junk.begin(), junk.end());
      } else {
        const FrameType type = std::vector<FrameType>{FrameType::Echo, FrameType::Reverse, FrameType::Stats,
                                                      FrameType::Hello}[static_cast<std::size_t>(pick(rng)) % 4];
        const Bytes payload = type == FrameType::Stats ? Bytes{} : randomBytes(rng, chunk(rng));
        appendFrame(stream, type, payload);
      }
    }
    FramedSession session(kMax);
    Bytes out;
    std::span<const std::uint8_t> rest = stream;
    while (!rest.empty()) {
      const std::size_t take = std::min(chunk(rng), rest.size());
      session.onBytes(rest.first(take), out);
      REQUIRE(session.bufferedBytes() < kHeaderSize + kMax);
      rest = rest.subspan(take);
    }
    const std::vector<Frame> replies = repliesIn(out);
    REQUIRE_FALSE(replies.empty());
    CHECK(replies.front().type == FrameType::Welcome);
    for (const Frame& reply : replies) REQUIRE(payloadProblem(reply).empty());
    if (session.state() == SessionState::Closing) {
      CHECK((replies.back().type == FrameType::Error || replies.back().type == FrameType::ByeReply));
    }
  }
}

TEST_CASE("many frames in one read are all answered in order", "[framed][session]") {
  FramedSession session = readySession();
  Bytes stream;
  constexpr int kFrames = 20000;
  for (int i = 0; i < kFrames; ++i) {
    appendFrame(stream, FrameType::Echo, Bytes{static_cast<std::uint8_t>(i), static_cast<std::uint8_t>(i >> 8)});
  }
  Bytes out;
  CHECK(session.onBytes(stream, out) == SessionState::Ready);
  CHECK(out.size() == stream.size());
  const std::vector<Frame> replies = repliesIn(out);
  REQUIRE(replies.size() == kFrames);
  CHECK(replies[12345] == Frame{FrameType::EchoReply, {static_cast<std::uint8_t>(12345),
                                                       static_cast<std::uint8_t>(12345 >> 8)}});
  CHECK(session.framesReceived() == kFrames + 1);
}
