// The reference-server fuzzers' helpers: the input layout (decoded as the seed generator writes it, with
// every bound held), the replies owed, and the shape check on framed replies.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "client_actions.h"
#include "expected_replies.h"
#include "framed_reply_check.h"
#include "proto/framed_codec.h"

using namespace sockspec;
using namespace sockspec::fuzz;

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes text(std::string_view value) { return Bytes(value.begin(), value.end()); }
Bytes frame(proto::FrameType type, const Bytes& payload = {}) { return proto::encodeFrame({type, payload}); }

constexpr auto kWait = static_cast<std::uint8_t>(StreamActionKind::Wait);
constexpr auto kShutdown = static_cast<std::uint8_t>(StreamActionKind::ShutdownWrite);
constexpr auto kAbort = static_cast<std::uint8_t>(StreamActionKind::Abort);
constexpr auto kClose = static_cast<std::uint8_t>(StreamActionKind::Close);

}  // namespace

TEST_CASE("A stream input decodes to the setup and actions the writer wrote", "[fuzz]") {
  Bytes hello = text("hello");
  Bytes input = ActionWriter()
                    .streamSetup(StreamFamily::Unix, StreamService::Echo, /*smallServerSendBuffer=*/true)
                    .write(hello)
                    .writeRepeated(text("ab"), 3)
                    .op(kWait)
                    .op(kShutdown)
                    .op(kAbort)
                    .op(kClose)
                    .bytes();
  StreamInput decoded = decodeStreamInput(input);
  CHECK(decoded.family == StreamFamily::Unix);
  CHECK(decoded.service == StreamService::Echo);
  CHECK(decoded.smallServerSendBuffer);
  REQUIRE(decoded.actions.size() == 6);
  CHECK(decoded.actions[0].kind == StreamActionKind::Write);
  CHECK(Bytes(decoded.actions[0].bytes.begin(), decoded.actions[0].bytes.end()) == hello);
  CHECK(decoded.actions[1].kind == StreamActionKind::WriteRepeated);
  CHECK(decoded.actions[1].times == 3);
  CHECK(Bytes(decoded.actions[1].bytes.begin(), decoded.actions[1].bytes.end()) == text("ab"));
  CHECK(decoded.actions[2].kind == StreamActionKind::Wait);
  CHECK(decoded.actions[3].kind == StreamActionKind::ShutdownWrite);
  CHECK(decoded.actions[4].kind == StreamActionKind::Abort);
  CHECK(decoded.actions[5].kind == StreamActionKind::Close);
}

TEST_CASE("Any bytes decode: opcodes modulo the actions, lengths cut to what is left", "[fuzz]") {
  StreamInput empty = decodeStreamInput({});
  CHECK(empty.family == StreamFamily::Tcp);
  CHECK(empty.service == StreamService::Framed);
  CHECK(empty.actions.empty());

  // 0x0c % 8 == 4 (wait); then a write claiming 0xffff bytes with 3 left.
  Bytes input{0x00, 0x0c, 0x08, 0xff, 0xff, 'x', 'y', 'z'};
  StreamInput decoded = decodeStreamInput(input);
  REQUIRE(decoded.actions.size() == 2);
  CHECK(decoded.actions[0].kind == StreamActionKind::Wait);
  CHECK(decoded.actions[1].kind == StreamActionKind::Write);
  CHECK(decoded.actions[1].bytes.size() == 3);
}

TEST_CASE("Inputs are bounded: at most kMaxActions actions and kMaxRepeatedBytes repeated", "[fuzz]") {
  Bytes many(1 + 3 * kMaxActions, kWait);
  many[0] = 0;
  CHECK(decodeStreamInput(many).actions.size() == kMaxActions);

  ActionWriter writer;
  writer.streamSetup(StreamFamily::Tcp, StreamService::Echo);
  Bytes chunk(1000, 0x41);
  for (int i = 0; i < 3; ++i) writer.writeRepeated(chunk, 256);
  StreamInput decoded = decodeStreamInput(writer.bytes());
  std::size_t total = 0;
  for (const auto& action : decoded.actions) total += action.bytes.size() * action.times;
  // The first copy of each is an ordinary write; the copies after it are what the budget bounds.
  CHECK(total <= kMaxRepeatedBytes + 3 * chunk.size());
  CHECK(total >= kMaxRepeatedBytes);  // the budget is used, not wasted
}

TEST_CASE("A datagram input decodes sizes up to 65507 and repeats the content to the size", "[fuzz]") {
  Bytes input = ActionWriter()
                    .datagramSetup(DatagramService::EchoUnix)
                    .send(5, text("abc"))  // content shorter than the size: repeated
                    .send(0, {})
                    .op(static_cast<std::uint8_t>(DatagramActionKind::Wait))
                    .send(70000, text("z"))  // above the largest UDP payload
                    .bytes();
  DatagramInput decoded = decodeDatagramInput(input);
  CHECK(decoded.service == DatagramService::EchoUnix);
  REQUIRE(decoded.actions.size() == 4);
  Bytes datagram;
  expandDatagram(decoded.actions[0], datagram);
  CHECK(datagram == text("abcab"));
  expandDatagram(decoded.actions[1], datagram);
  CHECK(datagram.empty());
  CHECK(decoded.actions[2].kind == DatagramActionKind::Wait);
  CHECK(decoded.actions[3].size <= kMaxDatagramSize);
  expandDatagram(decoded.actions[3], datagram);
  CHECK(datagram == Bytes(decoded.actions[3].size, 'z'));

  // A size above 65507 in the input itself is cut to 65507.
  Bytes oversize{0x00, 0x00, 0xff, 0xff, 0x00};
  REQUIRE(decodeDatagramInput(oversize).actions.size() == 1);
  CHECK(decodeDatagramInput(oversize).actions[0].size == kMaxDatagramSize);

  DatagramAction noContent;
  noContent.kind = DatagramActionKind::Send;
  noContent.size = 4;
  expandDatagram(noContent, datagram);
  CHECK(datagram == Bytes(4, 0));
}

TEST_CASE("Replies owed: echo owes the bytes, framed what a session answers, BYE ends it", "[fuzz]") {
  ExpectedReplies echo(StreamService::Echo, proto::kDefaultMaxPayload);
  echo.onSent(text("ping"));
  CHECK(echo.bytes() == text("ping"));
  CHECK_FALSE(echo.serverCloses());

  ExpectedReplies framed(StreamService::Framed, proto::kDefaultMaxPayload);
  Bytes hello = proto::encodeFrame(proto::makeHello());
  framed.onSent(Bytes(hello.begin(), hello.begin() + 3));  // split anywhere: nothing owed yet
  CHECK(framed.bytes().empty());
  framed.onSent(Bytes(hello.begin() + 3, hello.end()));
  CHECK(framed.bytes() == proto::encodeFrame(proto::makeWelcome(proto::kDefaultMaxPayload)));
  CHECK_FALSE(framed.serverCloses());
  framed.onSent(frame(proto::FrameType::Bye));
  CHECK(framed.serverCloses());

  framed.restart(StreamService::Framed);
  CHECK(framed.bytes().empty());
  CHECK_FALSE(framed.serverCloses());
}

TEST_CASE("Framed reply shape: server frames only, WELCOME or ERROR first, nothing after the end", "[fuzz]") {
  constexpr auto max = proto::kDefaultMaxPayload;
  Bytes welcome = proto::encodeFrame(proto::makeWelcome(max));
  Bytes echoReply = frame(proto::FrameType::EchoReply, text("hi"));
  Bytes byeReply = frame(proto::FrameType::ByeReply);
  Bytes good;
  for (const Bytes& part : {welcome, echoReply, byeReply}) good.insert(good.end(), part.begin(), part.end());
  CHECK(framedReplyProblem(good, max, true).empty());

  Bytes partial(good.begin(), good.end() - 3);
  CHECK(framedReplyProblem(partial, max, false).empty());
  CHECK_THAT(framedReplyProblem(partial, max, true), Catch::Contains("stopped after"));

  Bytes afterBye = good;
  afterBye.insert(afterBye.end(), echoReply.begin(), echoReply.end());
  CHECK_THAT(framedReplyProblem(afterBye, max, true), Catch::Contains("follows the frame that ended"));

  CHECK_THAT(framedReplyProblem(echoReply, max, true), Catch::Contains("expected WELCOME or ERROR"));
  CHECK_THAT(framedReplyProblem(frame(proto::FrameType::Echo, text("x")), max, true),
             Catch::Contains("client frame"));
  Bytes flagged = welcome;
  flagged[1] = 1;
  CHECK_THAT(framedReplyProblem(flagged, max, true), Catch::Contains("malformed"));
}
