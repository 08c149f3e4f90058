// `--service any`'s parts below the engine: splitting an input into messages, the protocol's options, the
// reply waits learned from replies, the feedback of a conversation, and one conversation with a loopback
// server run by the test (a thread answering each line it reads, and closing at EOF).
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "blackbox/conversation.h"
#include "blackbox/conversation_exchange.h"
#include "blackbox/fuzz_protocol.h"
#include "blackbox/reply_feedback.h"
#include "blackbox/reply_timing.h"
#include "blackbox/service_model.h"
#include "net/endpoint_sockets.h"
#include "process/process_activity.h"

using namespace sockspec;
using namespace sockspec::blackbox;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> messagesOf(std::string_view input) {
  std::vector<std::string> texts;
  for (auto message : splitConversation(net::asBytes(input))) texts.emplace_back(net::asText(message));
  return texts;
}

std::vector<std::uint8_t> bytesOf(std::string_view text) { return {text.begin(), text.end()}; }

ExchangeResult conversationOf(std::vector<MessageReply> messages, ConnectionEnd end) {
  ExchangeResult result;
  result.messages = std::move(messages);
  result.end = end;
  return result;
}

}  // namespace

TEST_CASE("an input splits into messages at each separator, empty ones kept, at most kMaxMessages",
          "[unit][conversation]") {
  CHECK(messagesOf("PING\r\n") == std::vector<std::string>{"PING\r\n"});
  CHECK(messagesOf("LOGIN a\n\x1e\x1eSTAT\n") == std::vector<std::string>{"LOGIN a\n", "STAT\n"});
  CHECK(messagesOf("\x1e\x1e") == std::vector<std::string>{"", ""});
  CHECK(messagesOf("a\x1e\x1e\x1e\x1e" "b") == std::vector<std::string>{"a", "", "b"});
  CHECK(messagesOf("a\x1e" "b") == std::vector<std::string>{"a\x1e" "b"});  // one 0x1E is a byte like any
  std::string many;
  for (int i = 0; i < 40; ++i) many += "m\x1e\x1e";
  auto split = messagesOf(many);
  REQUIRE(split.size() == kMaxMessages);
  CHECK(split.front() == "m");
  CHECK(split.back().size() == many.size() - (kMaxMessages - 1) * 3);  // the rest, separators and all
  auto joined = joinConversation({bytesOf("LOGIN a\n"), bytesOf(""), bytesOf("STAT\n")});
  CHECK(std::string(joined.begin(), joined.end()) == "LOGIN a\n\x1e\x1e\x1e\x1eSTAT\n");
}

TEST_CASE("the protocol options: escapes decoded, RE2 compiled, and refused with echo or framed",
          "[unit][conversation]") {
  auto any = makeFuzzProtocol("any", "\\r\\n", "^\\+PONG", "PING\\r\\n");
  REQUIRE(any);
  CHECK(any->replyEnd == "\r\n");
  CHECK(any->probe == "PING\r\n");
  CHECK(any->replyMatches("+OK\r\n"));    // by --reply-end
  CHECK(any->replyMatches("+PONG"));      // by --reply
  CHECK_FALSE(any->replyMatches("-ERR"));
  CHECK_FALSE(makeFuzzProtocol("any", "", "", "")->replyMatches("anything"));
  auto badEscape = makeFuzzProtocol("any", "\\q", "", "");
  REQUIRE_FALSE(badEscape);
  CHECK(badEscape.error().find("--reply-end '\\q': column 1") == 0);
  auto badRegex = makeFuzzProtocol("any", "", "(", "");
  REQUIRE_FALSE(badRegex);
  CHECK(badRegex.error().find("--reply '(':") == 0);
  auto withEcho = makeFuzzProtocol("echo", "", "", "PING");
  REQUIRE_FALSE(withEcho);
  CHECK(withEcho.error() == "--probe goes with --service any: echo replies are known in advance");
  CHECK_FALSE(makeFuzzProtocol("daytime", "", "", ""));
}

TEST_CASE("reply waits are the hang timeout until learned, then twice the largest time seen plus 1 ms",
          "[unit][conversation]") {
  ReplyTiming timing(1000ms);
  CHECK(timing.waits().firstByte == 1000ms);
  CHECK(timing.waits().quietGap == 1000ms);
  CHECK(timing.waits().awaitClose);
  CHECK_FALSE(timing.waits().staysOpenIsHang);
  MessageReply reply;
  reply.replyBytes = 5;
  reply.firstByte = 300us;
  reply.largestGap = 100us;
  reply.end = ReplyEnd::Closed;
  for (std::size_t i = 0; i + 1 < ReplyTiming::kLearnAfter; ++i) {
    timing.learn(conversationOf({reply}, ConnectionEnd::OrderlyClose));
  }
  CHECK(timing.waits().firstByte == 1000ms);  // one short of learnt
  CHECK_FALSE(timing.waits().staysOpenIsHang);
  reply.firstByte = 2000us;  // the largest
  timing.learn(conversationOf({reply}, ConnectionEnd::OrderlyClose));
  CHECK(timing.waits().firstByte == 5000us);
  CHECK(timing.waits().quietGap == 1200us);
  CHECK(timing.waits().staysOpenIsHang);  // closed after every one of them
  // The largest falls out of the window after kWindow more.
  reply.firstByte = 300us;
  for (std::size_t i = 0; i < ReplyTiming::kWindow; ++i) timing.learn(conversationOf({reply}, ConnectionEnd::OrderlyClose));
  CHECK(timing.waits().firstByte == 1600us);
}

TEST_CASE("rests end replies until the server was never seen at rest in 256 replies, said once",
          "[unit][conversation]") {
  ReplyTiming timing(1000ms);
  process::ActivityWatch watch(::getpid());
  CHECK(timing.waits().rest == nullptr);  // no server of ours: quiet gaps only
  CHECK(timing.waits(&watch).rest == &watch);
  CHECK_FALSE(timing.waits(&watch).auditRest);  // not while the waits are learned
  MessageReply quiet;
  quiet.replyBytes = 3;
  quiet.firstByte = 100us;
  quiet.end = ReplyEnd::Quiet;
  for (std::size_t i = 0; i < ReplyTiming::kLearnAfter; ++i) timing.learn(conversationOf({quiet}, ConnectionEnd::OrderlyClose));
  CHECK(timing.waits(&watch).auditRest);  // the first conversations after that are checked
  for (std::size_t i = ReplyTiming::kLearnAfter; i + 1 < ReplyTiming::kWatchedAtLeast; ++i) {
    timing.learn(conversationOf({quiet}, ConnectionEnd::OrderlyClose));
  }
  CHECK(timing.waits(&watch).rest == &watch);
  CHECK_FALSE(timing.takeRestNote());
  timing.learn(conversationOf({quiet}, ConnectionEnd::OrderlyClose));
  CHECK(timing.waits(&watch).rest == nullptr);
  auto note = timing.takeRestNote();
  REQUIRE(note);
  CHECK(*note == "replies now end by the quiet gap only: the server was never seen at rest in 256 replies");
  CHECK_FALSE(timing.takeRestNote());
}

TEST_CASE("a rest that ended replies is kept while audits find nothing after it", "[unit][conversation]") {
  ReplyTiming timing(1000ms);
  process::ActivityWatch watch(::getpid());
  MessageReply rest;
  rest.replyBytes = 3;
  rest.firstByte = 100us;
  rest.end = ReplyEnd::Quiet;
  rest.atRest = true;
  MessageReply audited = rest;
  audited.atRest = false;
  audited.audited = true;
  // `count` conversations, each audited when the timing says so; how many were.
  auto converse = [&](std::size_t count) {
    std::size_t audits = 0;
    for (std::size_t i = 0; i < count; ++i) {
      bool audit = timing.waits(&watch).auditRest;
      audits += audit;
      timing.learn(conversationOf({audit ? audited : rest}, ConnectionEnd::OrderlyClose));
    }
    return audits;
  };
  auto late = [&] {
    MessageReply lateOne = audited;
    lateOne.lateAfterRest = true;
    timing.learn(conversationOf({lateOne}, ConnectionEnd::OrderlyClose));
  };
  // None while the waits are being learned (an audit would wait the hang timeout): the first 8.
  CHECK(converse(ReplyTiming::kLearnAfter) == 0);
  SECTION("few audits: a second late one is more than 1 in 32") {
    CHECK(converse(2000 - ReplyTiming::kLearnAfter) == 35);  // learned 0-31, then 512, 1024, 1536
    CHECK(timing.waits(&watch).rest == &watch);
    late();
    CHECK(timing.waits(&watch).rest == &watch);  // once is not enough
    late();
    CHECK(timing.waits(&watch).rest == nullptr);
    auto note = timing.takeRestNote();
    REQUIRE(note);
    CHECK(*note == "replies now end by the quiet gap only: the server sent more after it was at rest (2 of 37 checked "
                   "replies)");
  }
  SECTION("many audits: late three times in 113 is not more than 1 in 32; a fourth time is") {
    CHECK(converse(40000 - ReplyTiming::kLearnAfter) == 110);  // 32, then every 512th up to 39936
    late();
    late();
    late();
    CHECK(timing.waits(&watch).rest == &watch);
    CHECK_FALSE(timing.takeRestNote());
    late();
    CHECK(timing.waits(&watch).rest == nullptr);
    auto note = timing.takeRestNote();
    REQUIRE(note);
    CHECK(*note == "replies now end by the quiet gap only: the server sent more after it was at rest (4 of 114 checked "
                   "replies)");
  }
}

TEST_CASE("a server that stays open after the FIN while being learnt is never waited for again",
          "[unit][conversation]") {
  ReplyTiming timing(500ms);
  MessageReply open;
  open.end = ReplyEnd::Awaited;
  timing.learn(conversationOf({open}, ConnectionEnd::StillOpen));
  CHECK_FALSE(timing.waits().awaitClose);
  CHECK_FALSE(timing.waits().staysOpenIsHang);
}

TEST_CASE("a conversation's feedback tells replies apart by message, start and way of ending",
          "[unit][conversation]") {
  FuzzProtocol any = protocolOf(FuzzProtocolKind::Any);
  auto features = [&](std::vector<std::string> replies) {
    ExchangeResult result;
    for (const auto& reply : replies) {
      MessageReply message;
      message.replyOffset = result.reply.size();
      message.replyBytes = reply.size();
      message.end = reply.empty() ? ReplyEnd::None : ReplyEnd::Quiet;
      if (!reply.empty()) message.firstByte = 100us;
      result.reply += reply;
      result.replyBytes += reply.size();
      result.messages.push_back(message);
    }
    result.end = ConnectionEnd::OrderlyClose;
    std::array<std::uint8_t, kFeedbackCounters> counters{};
    recordReplyFeatures(any, {}, result, counters);
    return counters;
  };
  auto loginFirst = features({"+OK welcome\r\n", "-ERR login first\r\n"});
  CHECK(loginFirst == features({"+OK welcome\r\n", "-ERR login first\r\n"}));  // deterministic
  CHECK(loginFirst != features({"+OK welcome\r\n", "+keys 0\r\n"}));             // the second reply differs
  CHECK(loginFirst != features({"-ERR login first\r\n", "+OK welcome\r\n"}));    // the order differs
  CHECK(features({"+OK\r\n"}) != features({"+OK\r\n", ""}));                     // one more message, unanswered
}

TEST_CASE("a reply that begins with its own message's bytes is one class, whatever the bytes",
          "[unit][conversation]") {
  FuzzProtocol any = protocolOf(FuzzProtocolKind::Any);
  // One message per pair's first, answered by its second.
  auto features = [&](std::vector<std::pair<std::string, std::string>> exchanges) {
    ExchangeResult result;
    std::vector<std::vector<std::uint8_t>> sent;
    for (const auto& [message, reply] : exchanges) {
      sent.emplace_back(message.begin(), message.end());
      MessageReply answer;
      answer.replyOffset = result.reply.size();
      answer.replyBytes = reply.size();
      answer.end = ReplyEnd::Quiet;
      answer.firstByte = 100us;
      result.reply += reply;
      result.replyBytes += reply.size();
      result.messages.push_back(answer);
    }
    result.end = ConnectionEnd::OrderlyClose;
    auto input = joinConversation(sent);
    std::array<std::uint8_t, kFeedbackCounters> counters{};
    recordReplyFeatures(any, net::Bytes(input.data(), input.size()), result, counters);
    return counters;
  };
  // An echo of any bytes is the same feature set (the reply lengths' class aside: kept equal here).
  CHECK(features({{"abcdef", "abcdef"}}) == features({{"zyxwvu", "zyxwvu"}}));
  CHECK(features({{"ab", "ab"}, {"GET x", "GET x"}}) == features({{"qq", "qq"}, {"\x01\x02\x03", "\x01\x02\x03"}}));
  // A reply of its own is told apart from an echo, and from another reply.
  CHECK(features({{"abcdef", "abcdef"}}) != features({{"abcdef", "+OK\r\n"}}));
  CHECK(features({{"PING", "+PONG\r\n"}}) != features({{"PING", "-ERR x\r\n"}}));
  // Only the message's own bytes count: the same reply to another message is not an echo.
  CHECK(features({{"abcdef", "abcdef"}}) != features({{"zyxwvu", "abcdef"}}));
}

TEST_CASE("one conversation with a loopback line server: each message's reply, then its close after the FIN",
          "[unit][conversation]") {
  auto listener = net::bindEndpoint(*net::parseEndpoint("tcp://127.0.0.1:0"));
  REQUIRE(listener);
  int listenFd = listener->fd.get();
  // The server: one connection; each line read gets "+<line>\r\n"; a line "quiet" gets nothing; EOF closes.
  std::thread server([listenFd] {
    pollfd ready{listenFd, POLLIN, 0};
    if (::poll(&ready, 1, 5000) != 1) return;
    int fd = ::accept(listenFd, nullptr, nullptr);
    if (fd < 0) return;
    std::string pending;
    std::array<char, 512> buffer{};
    for (;;) {
      pollfd in{fd, POLLIN, 0};
      if (::poll(&in, 1, 5000) != 1) break;
      ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
      if (n <= 0) break;
      pending.append(buffer.data(), static_cast<std::size_t>(n));
      for (auto end = pending.find('\n'); end != std::string::npos; end = pending.find('\n')) {
        std::string line = pending.substr(0, end);
        pending.erase(0, end + 1);
        if (line == "quiet") continue;
        std::string reply = "+" + line + "\r\n";
        (void)::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
      }
    }
    ::close(fd);
  });
  auto protocol = makeFuzzProtocol("any", "\\r\\n", "", "");
  REQUIRE(protocol);
  ReplyWaits waits;
  waits.firstByte = 200ms;
  waits.quietGap = 200ms;
  ExchangeLimits limits;
  limits.hangTimeout = 2000ms;
  auto start = std::chrono::steady_clock::now();
  auto result = exchangeConversation(listener->local, *protocol,
                                     net::asBytes("one\n\x1e\x1equiet\n\x1e\x1etwo\n"), waits, limits);
  auto took = std::chrono::steady_clock::now() - start;
  server.join();
  INFO(describeExchange(*protocol, {}, result));
  REQUIRE(result.messages.size() == 3);
  CHECK(result.reply == "+one\r\n+two\r\n");
  CHECK(result.messages[0].end == ReplyEnd::Matched);  // by --reply-end, without waiting out a gap
  CHECK(result.messages[0].replyBytes == 6);
  CHECK(result.messages[1].end == ReplyEnd::None);     // the first-byte wait ran out
  CHECK(result.messages[1].replyBytes == 0);
  CHECK(result.messages[2].end == ReplyEnd::Closed);   // awaited until the server closed after our FIN
  CHECK(result.messages[2].replyOffset == 6);
  CHECK(result.end == ConnectionEnd::OrderlyClose);
  // The unanswered message cost its first-byte wait (200 ms) and nothing else near the hang timeout.
  CHECK(took >= 200ms);
  CHECK(took < 1500ms);
}
