// The `framed` wire format: exact bytes, round trips, every malformed case with its code, and decoding at
// every split point.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "proto/framed_codec.h"

using namespace sockspec::proto;

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes header(std::uint8_t type, std::uint8_t flags, std::uint32_t length) {
  return {type,
          flags,
          static_cast<std::uint8_t>(length >> 24),
          static_cast<std::uint8_t>(length >> 16),
          static_cast<std::uint8_t>(length >> 8),
          static_cast<std::uint8_t>(length)};
}

Bytes rawFrame(FrameType type, const Bytes& payload) {
  Bytes out;
  // Built by reserve + append: g++ 12's -Warray-bounds misfires on insert() into the 6-byte header vector.
  out.reserve(kHeaderSize + payload.size());
  for (std::uint8_t byte : header(static_cast<std::uint8_t>(type), 0, static_cast<std::uint32_t>(payload.size()))) {
    out.push_back(byte);
  }
  for (std::uint8_t byte : payload) out.push_back(byte);
  return out;
}

// One valid frame of every type, built through the public builders where there is one.
std::vector<Frame> oneOfEachType() {
  return {
      makeHello(),
      makeHello(kProtocolVersion, "sockspec-client"),
      makeWelcome(kDefaultMaxPayload),
      Frame{FrameType::Echo, {'h', 'e', 'l', 'l', 'o'}},
      Frame{FrameType::Echo, {}},
      Frame{FrameType::EchoReply, {0x00, 0xff, 0x7f}},
      Frame{FrameType::Reverse, {'a', 'b', 'c'}},
      Frame{FrameType::ReverseReply, {'c', 'b', 'a'}},
      Frame{FrameType::Stats, {}},
      makeStatsReply(3, 0x0102030405060708),
      Frame{FrameType::Bye, {}},
      Frame{FrameType::ByeReply, {}},
      makeError(ErrorCode::TooLarge, "frame length 70000 exceeds the maximum 65536"),
      makeError(ErrorCode::BadPayload, ""),
  };
}

DecodeResult decodeBytes(const Bytes& bytes, std::uint32_t maxPayload = kDefaultMaxPayload) {
  return decodeFrame(bytes, maxPayload);
}

}  // namespace

TEST_CASE("appendFrame writes type, zero flags and a big-endian length", "[framed][codec]") {
  Bytes out{0xaa};  // appends, does not overwrite
  const Bytes payload{1, 2, 3};
  appendFrame(out, FrameType::Echo, payload);
  CHECK(out == Bytes{0xaa, 0x10, 0x00, 0x00, 0x00, 0x00, 0x03, 1, 2, 3});

  Bytes big(0x010203, 0x5a);
  const Bytes encoded = encodeFrame(Frame{FrameType::Echo, big});
  REQUIRE(encoded.size() == kHeaderSize + big.size());
  CHECK(Bytes(encoded.begin(), encoded.begin() + 6) == Bytes{0x10, 0x00, 0x00, 0x01, 0x02, 0x03});

  Bytes headerOnly;
  appendFrameHeader(headerOnly, FrameType::ReverseReply, 0xdeadbeef);
  CHECK(headerOnly == Bytes{0x13, 0x00, 0xde, 0xad, 0xbe, 0xef});
}

TEST_CASE("the typed builders produce the documented payloads", "[framed][codec]") {
  CHECK(encodeFrame(makeHello()) == Bytes{0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01});
  CHECK(encodeFrame(makeHello(1, "ab")) == Bytes{0x01, 0x00, 0x00, 0x00, 0x00, 0x03, 0x01, 'a', 'b'});
  CHECK(encodeFrame(makeWelcome(65536)) ==
        Bytes{0x02, 0x00, 0x00, 0x00, 0x00, 0x05, 0x01, 0x00, 0x01, 0x00, 0x00});
  CHECK(makeStatsReply(0x0102030405060708, 0x1112131415161718).payload ==
        Bytes{1, 2, 3, 4, 5, 6, 7, 8, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18});
  CHECK(encodeFrame(makeError(ErrorCode::HandshakeRequired, "x")) ==
        Bytes{0x7f, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 'x'});
}

TEST_CASE("every frame type survives encode then decode", "[framed][codec]") {
  for (const Frame& frame : oneOfEachType()) {
    INFO(describeFrame(frame));
    const Bytes encoded = encodeFrame(frame);
    const DecodeResult result = decodeBytes(encoded);
    REQUIRE(result.status == DecodeStatus::Complete);
    CHECK(result.consumed == encoded.size());
    CHECK(result.frame == frame);
    CHECK(payloadProblem(frame).empty());
  }
}

TEST_CASE("decodeFrame takes only the first of several frames", "[framed][codec]") {
  Bytes stream = encodeFrame(Frame{FrameType::Echo, {'a', 'b'}});
  const std::size_t firstSize = stream.size();
  appendFrame(stream, FrameType::Bye, {});
  const DecodeResult first = decodeBytes(stream);
  REQUIRE(first.status == DecodeStatus::Complete);
  CHECK(first.consumed == firstSize);
  CHECK(first.frame == Frame{FrameType::Echo, {'a', 'b'}});
  const DecodeResult second = decodeFrame(std::span<const std::uint8_t>(stream).subspan(first.consumed));
  REQUIRE(second.status == DecodeStatus::Complete);
  CHECK(second.frame.type == FrameType::Bye);
}

TEST_CASE("decodeFrameView decides as decodeFrame does and points into the input instead of copying",
          "[framed][codec]") {
  for (const Frame& frame : oneOfEachType()) {
    CAPTURE(describeFrame(frame));
    Bytes stream = encodeFrame(frame);
    appendFrame(stream, FrameType::Bye, {});
    const DecodeResult copied = decodeBytes(stream);
    const DecodeResult viewed = decodeFrameView(stream);
    REQUIRE(viewed.status == DecodeStatus::Complete);
    CHECK(viewed.consumed == copied.consumed);
    CHECK(viewed.view.type == frame.type);
    CHECK(viewed.view.payload.data() == stream.data() + kHeaderSize);
    CHECK(Bytes(viewed.view.payload.begin(), viewed.view.payload.end()) == frame.payload);
    CHECK(viewed.frame.payload.empty());  // nothing was copied
    CHECK(copied.frame == frame);
  }
  // Malformed and NeedMore are decided alike.
  Bytes tooLarge = header(static_cast<std::uint8_t>(FrameType::Echo), 0, kDefaultMaxPayload + 1);
  CHECK(decodeFrameView(tooLarge).status == DecodeStatus::Malformed);
  CHECK(decodeFrameView(tooLarge).error == ErrorCode::TooLarge);
  Bytes partial = encodeFrame(Frame{FrameType::Echo, {'a', 'b'}});
  partial.pop_back();
  CHECK(decodeFrameView(partial).status == DecodeStatus::NeedMore);
  CHECK(decodeFrameView(partial).needed == partial.size() + 1);
}

TEST_CASE("every proper prefix of a frame is NeedMore and says how much is needed", "[framed][codec]") {
  for (const Frame& frame : oneOfEachType()) {
    const Bytes encoded = encodeFrame(frame);
    INFO(describeFrame(frame));
    for (std::size_t size = 0; size < encoded.size(); ++size) {
      INFO("prefix of " << size << " bytes");
      const DecodeResult result = decodeFrame(std::span<const std::uint8_t>(encoded).first(size));
      REQUIRE(result.status == DecodeStatus::NeedMore);
      CHECK(result.consumed == 0);
      CHECK(result.needed == (size < kHeaderSize ? kHeaderSize : encoded.size()));
    }
  }
}

TEST_CASE("isKnownFrameType accepts exactly the eleven frame types", "[framed][codec]") {
  const std::vector<int> known{0x01, 0x02, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x20, 0x21, 0x7f};
  for (int type = 0; type <= 0xff; ++type) {
    INFO("type 0x" << std::hex << type);
    const bool expected = std::find(known.begin(), known.end(), type) != known.end();
    CHECK(isKnownFrameType(static_cast<std::uint8_t>(type)) == expected);
    CHECK((frameTypeName(static_cast<FrameType>(type)) != "UNKNOWN") == expected);
  }
}

TEST_CASE("names of frame types and error codes", "[framed][codec]") {
  CHECK(frameTypeName(FrameType::Hello) == "HELLO");
  CHECK(frameTypeName(FrameType::EchoReply) == "ECHO_REPLY");
  CHECK(frameTypeName(FrameType::ReverseReply) == "REVERSE_REPLY");
  CHECK(frameTypeName(FrameType::StatsReply) == "STATS_REPLY");
  CHECK(frameTypeName(FrameType::ByeReply) == "BYE_REPLY");
  CHECK(frameTypeName(FrameType::Error) == "ERROR");
  CHECK(errorCodeName(ErrorCode::UnknownType) == "UNKNOWN_TYPE");
  CHECK(errorCodeName(ErrorCode::TooLarge) == "TOO_LARGE");
  CHECK(errorCodeName(ErrorCode::HandshakeRequired) == "HANDSHAKE_REQUIRED");
  CHECK(errorCodeName(ErrorCode::UnsupportedVersion) == "UNSUPPORTED_VERSION");
  CHECK(errorCodeName(ErrorCode::BadPayload) == "BAD_PAYLOAD");
  CHECK(errorCodeName(ErrorCode::UnexpectedHello) == "UNEXPECTED_HELLO");
  CHECK(errorCodeName(ErrorCode::ReservedFlags) == "RESERVED_FLAGS");
  CHECK(errorCodeName(static_cast<ErrorCode>(0)) == "UNKNOWN");
  CHECK(errorCodeName(static_cast<ErrorCode>(8)) == "UNKNOWN");
}

TEST_CASE("a header with nonzero flags is ReservedFlags once the header is complete", "[framed][codec]") {
  for (int flags = 1; flags <= 0xff; ++flags) {
    INFO("flags 0x" << std::hex << flags);
    const Bytes bytes = header(0x10, static_cast<std::uint8_t>(flags), 0);
    CHECK(decodeFrame(std::span<const std::uint8_t>(bytes).first(kHeaderSize - 1)).status ==
          DecodeStatus::NeedMore);
    const DecodeResult result = decodeBytes(bytes);
    REQUIRE(result.status == DecodeStatus::Malformed);
    CHECK(result.error == ErrorCode::ReservedFlags);
    CHECK(result.consumed == 0);
  }
  CHECK(decodeBytes(header(0x10, 0x80, 3)).message == "flags byte is 0x80, must be 0");
}

TEST_CASE("an unknown type byte is UnknownType before its payload arrives", "[framed][codec]") {
  for (int type = 0; type <= 0xff; ++type) {
    if (isKnownFrameType(static_cast<std::uint8_t>(type))) continue;
    INFO("type 0x" << std::hex << type);
    const DecodeResult result = decodeBytes(header(static_cast<std::uint8_t>(type), 0, 10));
    REQUIRE(result.status == DecodeStatus::Malformed);
    CHECK(result.error == ErrorCode::UnknownType);
  }
  CHECK(decodeBytes(header(0x55, 0, 0)).message == "unknown frame type 0x55");
}

TEST_CASE("header faults are reported in the order flags, type, length", "[framed][codec]") {
  CHECK(decodeBytes(header(0x55, 0x01, 0xffffffff)).error == ErrorCode::ReservedFlags);
  CHECK(decodeBytes(header(0x55, 0x00, 0xffffffff)).error == ErrorCode::UnknownType);
  CHECK(decodeBytes(header(0x10, 0x00, 0xffffffff)).error == ErrorCode::TooLarge);
}

TEST_CASE("an oversize length is refused from the header alone", "[framed][codec]") {
  const DecodeResult result = decodeBytes(header(0x10, 0, 70000));
  REQUIRE(result.status == DecodeStatus::Malformed);
  CHECK(result.error == ErrorCode::TooLarge);
  CHECK(result.message == "frame length 70000 exceeds the maximum 65536");

  const DecodeResult huge = decodeBytes(header(0x10, 0, 0xffffffff));
  REQUIRE(huge.status == DecodeStatus::Malformed);
  CHECK(huge.error == ErrorCode::TooLarge);

  SECTION("the limit is the caller's and is inclusive") {
    CHECK(decodeBytes(header(0x10, 0, 100), 99).error == ErrorCode::TooLarge);
    const DecodeResult atLimit = decodeBytes(header(0x10, 0, 100), 100);
    CHECK(atLimit.status == DecodeStatus::NeedMore);
    CHECK(atLimit.needed == kHeaderSize + 100);
    const DecodeResult full = decodeBytes(rawFrame(FrameType::Echo, Bytes(100, 7)), 100);
    CHECK(full.status == DecodeStatus::Complete);
    CHECK(decodeBytes(rawFrame(FrameType::Echo, {}), 0).status == DecodeStatus::Complete);
    CHECK(decodeBytes(rawFrame(FrameType::Echo, {1}), 0).error == ErrorCode::TooLarge);
  }
  SECTION("the default maximum payload is 65536 bytes") {
    CHECK(decodeBytes(header(0x10, 0, 65536)).status == DecodeStatus::NeedMore);
    CHECK(decodeBytes(header(0x10, 0, 65537)).status == DecodeStatus::Malformed);
  }
}

TEST_CASE("payloads that do not fit their type are BadPayload", "[framed][codec]") {
  struct Case {
    const char* what;
    Bytes frame;
    const char* message;
  };
  const std::string longName(kMaxClientNameBytes + 1, 'n');
  const std::vector<Case> cases{
      {"HELLO without a version", rawFrame(FrameType::Hello, {}),
       "HELLO needs at least 1 byte (the protocol version)"},
      {"HELLO with a 65-byte name", encodeFrame(makeHello(1, longName)),
       "HELLO client name is 65 bytes, the maximum is 64"},
      {"WELCOME too short", rawFrame(FrameType::Welcome, {1, 0, 0, 0}),
       "WELCOME payload must be 5 bytes (version, max payload), got 4"},
      {"WELCOME too long", rawFrame(FrameType::Welcome, {1, 0, 0, 0, 0, 0}),
       "WELCOME payload must be 5 bytes (version, max payload), got 6"},
      {"STATS with a payload", rawFrame(FrameType::Stats, {1, 2, 3}), "STATS takes no payload, got 3 bytes"},
      {"BYE with a payload", rawFrame(FrameType::Bye, {1}), "BYE takes no payload, got 1 byte"},
      {"BYE_REPLY with a payload", rawFrame(FrameType::ByeReply, {1}), "BYE_REPLY takes no payload, got 1 byte"},
      {"STATS_REPLY too short", rawFrame(FrameType::StatsReply, Bytes(15, 0)),
       "STATS_REPLY payload must be 16 bytes (frames, payload bytes), got 15"},
      {"STATS_REPLY too long", rawFrame(FrameType::StatsReply, Bytes(17, 0)),
       "STATS_REPLY payload must be 16 bytes (frames, payload bytes), got 17"},
      {"ERROR without a code", rawFrame(FrameType::Error, {}), "ERROR needs at least 1 byte (the error code)"},
      {"ERROR with code 0", rawFrame(FrameType::Error, {0, 'x'}), "ERROR code 0 is not a known error code"},
      {"ERROR with code 8", rawFrame(FrameType::Error, {8}), "ERROR code 8 is not a known error code"},
      {"ERROR with a stray continuation byte", rawFrame(FrameType::Error, {1, 'a', 0x80}),
       "ERROR message is not valid UTF-8"},
      {"ERROR with a truncated sequence", rawFrame(FrameType::Error, {1, 0xe2, 0x82}),
       "ERROR message is not valid UTF-8"},
      {"ERROR with an overlong NUL", rawFrame(FrameType::Error, {1, 0xc0, 0x80}),
       "ERROR message is not valid UTF-8"},
      {"ERROR with a surrogate", rawFrame(FrameType::Error, {1, 0xed, 0xa0, 0x80}),
       "ERROR message is not valid UTF-8"},
      {"ERROR above U+10FFFF", rawFrame(FrameType::Error, {1, 0xf4, 0x90, 0x80, 0x80}),
       "ERROR message is not valid UTF-8"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const DecodeResult result = decodeBytes(c.frame);
    REQUIRE(result.status == DecodeStatus::Malformed);
    CHECK(result.error == ErrorCode::BadPayload);
    CHECK(result.message == c.message);
    CHECK(result.consumed == 0);
    // A payload fault can only be seen once the whole frame is there.
    CHECK(decodeFrame(std::span<const std::uint8_t>(c.frame).first(c.frame.size() - 1)).status ==
          DecodeStatus::NeedMore);
  }
}

TEST_CASE("payload edge cases that are valid", "[framed][codec]") {
  const std::string maxName(kMaxClientNameBytes, 'n');
  CHECK(payloadProblem(makeHello(1, maxName)).empty());
  CHECK(payloadProblem(makeHello(200)).empty());  // the version is the session's business
  CHECK(payloadProblem(makeError(ErrorCode::ReservedFlags, "")).empty());
  // U+00E9, U+20AC and U+1F600 in UTF-8.
  CHECK(payloadProblem(Frame{FrameType::Error, {7, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80}})
            .empty());
  CHECK(payloadProblem(Frame{static_cast<FrameType>(0x55), {}}) == "unknown frame type 0x55");
}

TEST_CASE("readers return the fields and refuse other types or bad payloads", "[framed][codec]") {
  WelcomeInfo welcome;
  REQUIRE(readWelcome(makeWelcome(0xfedcba98), welcome));
  CHECK(welcome.version == kProtocolVersion);
  CHECK(welcome.maxPayload == 0xfedcba98);
  CHECK_FALSE(readWelcome(Frame{FrameType::Welcome, {1, 0, 0}}, welcome));
  CHECK_FALSE(readWelcome(makeStatsReply(1, 2), welcome));

  StatsInfo stats;
  REQUIRE(readStatsReply(makeStatsReply(0xffffffffffffffff, 42), stats));
  CHECK(stats.frames == 0xffffffffffffffff);
  CHECK(stats.bytes == 42);
  CHECK_FALSE(readStatsReply(Frame{FrameType::StatsReply, Bytes(8, 0)}, stats));
  CHECK_FALSE(readStatsReply(makeWelcome(1), stats));

  ErrorInfo error;
  REQUIRE(readError(makeError(ErrorCode::UnexpectedHello, "second HELLO"), error));
  CHECK(error.code == ErrorCode::UnexpectedHello);
  CHECK(error.message == "second HELLO");
  CHECK_FALSE(readError(Frame{FrameType::Error, {0}}, error));
  CHECK_FALSE(readError(Frame{FrameType::Error, {}}, error));
  CHECK_FALSE(readError(makeHello(), error));
}

TEST_CASE("describeFrame gives one readable line", "[framed][codec]") {
  CHECK(describeFrame(Frame{FrameType::EchoReply, {1, 2, 3, 4, 5}}) == "ECHO_REPLY 5 bytes");
  CHECK(describeFrame(Frame{FrameType::Echo, {1}}) == "ECHO 1 byte");
  CHECK(describeFrame(makeError(ErrorCode::TooLarge, "frame length 70000 exceeds the maximum 65536")) ==
        "ERROR TOO_LARGE: frame length 70000 exceeds the maximum 65536");
  CHECK(describeFrame(makeHello()) == "HELLO version 1");
  CHECK(describeFrame(makeHello(1, "a\nb")) == "HELLO version 1 name \"a\\nb\"");
  CHECK(describeFrame(makeWelcome(65536)) == "WELCOME version 1, max payload 65536");
  CHECK(describeFrame(makeStatsReply(3, 6)) == "STATS_REPLY 3 frames, 6 payload bytes");
  CHECK(describeFrame(Frame{FrameType::Bye, {}}) == "BYE");
  CHECK(describeFrame(Frame{FrameType::Stats, {9}}) ==
        "STATS 1 byte (malformed: STATS takes no payload, got 1 byte)");
  CHECK(describeFrame(Frame{static_cast<FrameType>(0x55), {}}) ==
        "UNKNOWN 0 bytes (malformed: unknown frame type 0x55)");
}

// Not a fuzzer, but runs the same contract on every CI build: any bytes give one of the three results,
// Complete frames re-encode to exactly the bytes consumed, and ASan/UBSan see every access.
TEST_CASE("random input always decodes to a consistent result", "[framed][codec]") {
  std::mt19937 rng(Catch::rngSeed());
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> size(0, 40);
  const std::vector<std::uint8_t> typeBytes{0x01, 0x02, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x20, 0x21, 0x7f};
  int complete = 0;
  for (int round = 0; round < 20000; ++round) {
    Bytes input(size(rng));
    for (auto& b : input) b = static_cast<std::uint8_t>(byte(rng));
    // Bias towards plausible headers so the payload checks are reached, not just the header ones.
    if (input.size() >= kHeaderSize && round % 2 == 0) {
      input[0] = typeBytes[static_cast<std::size_t>(byte(rng)) % typeBytes.size()];
      input[1] = 0;
      input[2] = input[3] = input[4] = 0;
      input[5] = static_cast<std::uint8_t>(byte(rng) % 24);
    }
    const DecodeResult result = decodeFrame(input, 32);
    switch (result.status) {
      case DecodeStatus::Complete:
        ++complete;
        REQUIRE(result.consumed <= input.size());
        REQUIRE(encodeFrame(result.frame) == Bytes(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(result.consumed)));
        REQUIRE(payloadProblem(result.frame).empty());
        break;
      case DecodeStatus::NeedMore:
        REQUIRE(result.needed > input.size());
        break;
      case DecodeStatus::Malformed:
        REQUIRE_FALSE(result.message.empty());
        REQUIRE(result.consumed == 0);
        break;
    }
  }
  CHECK(complete > 100);
}
