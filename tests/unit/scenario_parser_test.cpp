// The scenario language's parser and printer: what it accepts, the exact place and text of what it rejects,
// and that printing a parsed scenario gives text that parses to the same scenario.
#include <catch2/catch.hpp>

#include <string>

#include "scenario/parser.h"
#include "scenario/printer.h"

using namespace sockspec::scenario;

namespace {

const char* const kValid = R"(# Closing with unread data sends RST.
scenario close.unread-data-rst
title "close() with unread data resets the connection"
families tcp4 tcp6
claim 3 refutes
source "tcp_close(): data_was_unread (net/ipv4/tcp.c); RFC 2525 2.17"

listener = socket
bind listener
listen listener 4
client = socket
connect client listener
conn = accept listener within 500ms
send client "hello" -> 5
send client ("ab" * 2) "\x00" * 3 -> 7   # parentheses, repetition, escapes
close conn
recv client 16 within 2s -> ECONNRESET|EPIPE
recvmsg client 4 MSG_PEEK -> "hell" MSG_TRUNC
check listener accept-queue -> 0
check client state -> CLOSE
)";

std::string firstError(std::string_view text) {
  auto parsed = parseScenario(text, "t.scn");
  if (parsed) return "(parsed)";
  return parsed.error().front().describe();
}

std::string withHeader(std::string_view steps) {
  return std::string("scenario x\nfamilies tcp4\nsource \"s\"\n") + std::string(steps);
}

}  // namespace

TEST_CASE("a complete scenario parses into its header and steps") {
  auto parsed = parseScenario(kValid, "close/unread.scn");
  REQUIRE(parsed.ok());
  const Scenario& scenario = *parsed;
  CHECK(scenario.id == "close.unread-data-rst");
  CHECK(scenario.families == std::vector<Family>{Family::Tcp4, Family::Tcp6});
  CHECK(scenario.claims == std::vector<int>{3});
  CHECK(scenario.refutes == std::vector<int>{3});
  REQUIRE(scenario.steps.size() == 13);

  const Step& accept = scenario.steps[5];
  CHECK(accept.result == "conn");
  CHECK(accept.verb == Verb::Accept);
  CHECK(accept.within == std::chrono::milliseconds(500));
  CHECK(accept.place.line == 13);

  const Step& send = scenario.steps[7];
  REQUIRE(send.arguments.size() == 2);
  CHECK(send.arguments[1].text == std::string("abab\0\0\0", 7));
  CHECK(send.expect.kind == Expectation::Kind::Count);
  CHECK(send.expect.count == 7);

  const Step& recv = scenario.steps[9];
  CHECK(recv.expect.kind == Expectation::Kind::Errno);
  CHECK(recv.expect.errnos == std::vector<std::string>{"ECONNRESET", "EPIPE"});

  const Step& peek = scenario.steps[10];
  CHECK(peek.arguments.back().text == "MSG_PEEK");
  CHECK(peek.expect.data == sockspec::pattern::BytePattern::exact("hell"));
  CHECK(peek.expect.flags == std::vector<std::string>{"MSG_TRUNC"});

  CHECK(scenario.steps[12].expect.kind == Expectation::Kind::Word);
  CHECK(scenario.steps[12].expect.word == "CLOSE");
}

TEST_CASE("printing a scenario gives text that parses back to the same scenario") {
  auto parsed = parseScenario(kValid, "a.scn");
  REQUIRE(parsed.ok());
  std::string printed = printScenario(*parsed);
  auto again = parseScenario(printed, "a.scn");
  INFO(printed);
  REQUIRE(again.ok());
  CHECK(*again == *parsed);
  CHECK(printScenario(*again) == printed);
}

TEST_CASE("long runs of one byte print as a repetition and round-trip") {
  std::string bytes = std::string("head") + std::string(5000, 'x') + std::string("\xff\x00", 2);
  std::string printed = printBytes(bytes);
  CHECK(printed == R"("head" "x" * 5000 "\xff\x00")");
  auto parsed = parseScenario(withHeader("s = socket\nsend s " + printed + "\n"), "r.scn");
  REQUIRE(parsed.ok());
  CHECK(parsed->steps[1].arguments[1].text == bytes);
}

TEST_CASE("errors name file, line and column with what was expected") {
  CHECK(firstError(withHeader("s = socket\nlisen s 1\n")) ==
        "t.scn:5:1: unknown verb 'lisen': expected one of socket, bind, bind-to, listen, accept, connect, "
        "connect-target, send, sendto, send-file, recv, recvmsg, read-line, read-until, read, read-eof, "
        "read-prefixed, shutdown, close, setsockopt, nonblocking, wait, fill, drain, check, counter, wire");
  CHECK(firstError(withHeader("s = socket\nlisten s\n")) ==
        "t.scn:5:9: expected a number (backlog), found the end of the line (usage: listen SOCKET BACKLOG)");
  CHECK(firstError(withHeader("listen nosuch 1\n")) ==
        "t.scn:4:8: 'nosuch' names no socket: give it one first, e.g. 'nosuch = socket' "
        "(usage: listen SOCKET BACKLOG)");
  CHECK(firstError(withHeader("s = socket\nsend s \"abc\n")) ==
        "t.scn:5:8: unterminated string: no closing '\"' on this line");
  CHECK(firstError(withHeader("s = socket\nrecv s 4 -> ECONNRESTE\n")) ==
        "t.scn:5:13: 'ECONNRESTE' is not an errno name on this system");
  CHECK(firstError(withHeader("s = socket\ns = socket\n")) == "t.scn:5:1: 's' already names the socket made on line 4");
  CHECK(firstError(withHeader("accept\n")) == "t.scn:4:1: 'accept' makes a socket: name it, as in 'NAME = accept LISTENER'");
  CHECK(firstError(withHeader("s = socket\nsend s \"a\\q\"\n")) ==
        "t.scn:5:10: unknown escape '\\q': expected \\n \\r \\t \\0 \\\\ \\\" or \\xNN");
  CHECK(firstError("families tcp4\nsource \"s\"\ns = socket\n") == "t.scn:1:1: missing 'scenario ID' line");
  CHECK(firstError(withHeader("s = socket\nfamilies unix\n")) ==
        "t.scn:5:1: header lines (scenario, title, families, ...) come before the first step");
  CHECK(firstError(withHeader("s = socket\nrecv s 4 within 5 -> eof\n")) ==
        "t.scn:5:17: '5' is not a duration: write 500ms or 2s (at most 600s)");
}

TEST_CASE("connect-target needs 'requires target', then parses and prints back") {
  CHECK(firstError(withHeader("c = socket\nconnect-target c\n")) ==
        "t.scn:5:1: connect-target needs 'requires target' in the header (the server under test)");
  std::string text = "scenario x\nfamilies tcp4\nsource \"s\"\nrequires target\nc = socket\nconnect-target c\n";
  auto parsed = parseScenario(text, "t.scn");
  REQUIRE(parsed);
  CHECK(parsed->requirements == std::vector<std::string>{"target"});
  REQUIRE(parsed->steps.size() == 2);
  CHECK(parsed->steps[1].verb == Verb::ConnectTarget);
  auto again = parseScenario(printScenario(*parsed), "t.scn");
  REQUIRE(again);
  CHECK(*again == *parsed);
}

TEST_CASE("wire steps parse, print back, and reject what they cannot mean with file:line:col") {
  const std::string steps =
      "server = socket\nbind server\nlisten server 1\nclient = socket\nconnect client server\n"
      "conn = accept server\nclose conn\n"
      "wire handshake client\nwire first-fin conn\nwire fin-data conn\nwire no-fin client\nwire rst conn\n"
      "wire rst-to client\nwire no-rst client\nwire syn-retransmits client -> 2\nwire no-syn-ack client\n"
      "wire time-wait conn\n";
  auto parsed = parseScenario(withHeader(steps), "w.scn");
  REQUIRE(parsed.ok());
  REQUIRE(parsed->steps.size() == 17);
  const Step& counted = parsed->steps[14];
  CHECK(counted.verb == Verb::Wire);
  CHECK(counted.arguments.size() == 2);
  CHECK(counted.arguments[0].text == "syn-retransmits");
  CHECK(counted.arguments[1].text == "client");
  CHECK(counted.expect.kind == Expectation::Kind::Count);
  CHECK(counted.expect.count == 2);
  CHECK(printStep(counted) == "wire syn-retransmits client -> 2");
  CHECK(printStep(parsed->steps[7]) == "wire handshake client");
  std::string printed = printScenario(*parsed);
  auto again = parseScenario(printed, "w.scn");
  INFO(printed);
  REQUIRE(again.ok());
  CHECK(*again == *parsed);

  const std::string pair = "c = socket\n";
  CHECK(firstError(withHeader(pair + "wire handshakes c\n")) ==
        "t.scn:5:6: expected assertion: one of handshake, first-fin, fin-data, no-fin, rst, rst-to, no-rst, "
        "syn-retransmits, no-syn-ack, time-wait, found 'handshakes' (usage: wire ASSERTION SOCKET [-> COUNT])");
  CHECK(firstError(withHeader(pair + "wire rst nosuch\n")) ==
        "t.scn:5:10: 'nosuch' names no socket: give it one first, e.g. 'nosuch = socket' "
        "(usage: wire ASSERTION SOCKET [-> COUNT])");
  CHECK(firstError(withHeader(pair + "wire syn-retransmits c\n")) ==
        "t.scn:5:23: expected '-> COUNT' after 'wire syn-retransmits' (how many SYNs were sent again)");
  CHECK(firstError(withHeader(pair + "wire syn-retransmits c -> eof\n")) ==
        "t.scn:5:27: expected '-> COUNT' after 'wire syn-retransmits' (how many SYNs were sent again)");
  CHECK(firstError(withHeader(pair + "wire syn-retransmits c -> -1\n")) ==
        "t.scn:5:27: a retransmission count is 0 or more");
  CHECK(firstError(withHeader(pair + "wire rst c -> 1\n")) ==
        "t.scn:5:15: 'wire rst' takes no '->': it passes or fails on the packets");
  CHECK(firstError(withHeader(pair + "wire rst c within 1s\n")) ==
        "t.scn:5:1: a wire step takes no 'within': it reads packets already captured");
  CHECK(firstError(withHeader(pair + "x = wire rst c\n")) ==
        "t.scn:5:1: 'wire' makes no socket to name (wire ASSERTION SOCKET [-> COUNT])");
}

TEST_CASE("hostile input gets a clear error, never a crash or a hang") {
  SECTION("binary garbage") {
    std::string garbage;
    for (int i = 0; i < 4096; ++i) garbage += static_cast<char>((i * 131 + 7) % 256);
    CHECK_FALSE(parseScenario(garbage, "g.scn").ok());
  }
  SECTION("a 1 MB line") {
    std::string text = withHeader("s = socket\nsend s \"" + std::string(1'000'000, 'a') + "\"\n");
    CHECK(firstError(text) == "t.scn:5:4097: line is 1000009 bytes long; at most 4096 are allowed");
  }
  SECTION("a NUL byte") {
    CHECK(firstError(withHeader(std::string("s = socket\nclose s\0\n", 20))) == "t.scn:5:8: NUL byte in the file");
  }
  SECTION("invalid UTF-8") {
    CHECK(firstError(withHeader("s = socket\nsend s \"\xc3\x28\"\n")) ==
          "t.scn:5:9: invalid UTF-8 (byte 0xc3); scenario files are UTF-8 text");
  }
  SECTION("deep nesting") {
    std::string deep = std::string(40, '(') + "\"a\"" + std::string(40, ')');
    CHECK(firstError(withHeader("s = socket\nsend s " + deep + "\n")) ==
          "t.scn:5:16: parentheses nest more than 8 deep");
  }
  SECTION("a repetition that would need gigabytes") {
    CHECK(firstError(withHeader("s = socket\nsend s \"abc\" * 999999999999\n")) ==
          "t.scn:5:16: the repeated string would exceed 16777216 bytes");
  }
  SECTION("errors stop at the limit per file") {
    std::string many = withHeader("");
    for (int i = 0; i < 500; ++i) many += "bogus\n";
    auto parsed = parseScenario(many, "m.scn");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().size() == kMaxErrorsPerFile);
  }
}

TEST_CASE("a file that cannot be read is one error naming it and the errno") {
  auto parsed = parseScenarioFile("/nonexistent/sockspec/x.scn");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().front().describe() ==
        "/nonexistent/sockspec/x.scn:0:0: open: ENOENT (No such file or directory)");
}

TEST_CASE("smaller ParseLimits are enforced by the same checks (the fuzz target parses with them)") {
  const std::string head = "scenario small\nfamilies tcp4\nsource \"x\"\ns = socket\n";
  const ParseLimits limits{10, 25};
  SECTION("one value over its bound") {
    auto parsed = parseScenario(head + "send s \"ab\" * 6\n", "t.scn", limits);
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().front().describe() == "t.scn:5:15: the repeated string would exceed 10 bytes");
    CHECK(parseScenario(head + "send s \"ab\" * 5\n", "t.scn", limits));
    CHECK(parseScenario(head + "send s \"ab\" * 6\n", "t.scn"));  // the defaults allow it
  }
  SECTION("the file's values together over theirs") {
    auto parsed = parseScenario(head + "send s \"x\" * 10\nsend s \"x\" * 10\nsend s \"x\" * 10\n", "t.scn", limits);
    REQUIRE_FALSE(parsed);
    REQUIRE(parsed.error().size() == 1);
    CHECK(parsed.error().front().describe() == "t.scn:7:1: the scenario's byte strings would exceed 25 bytes in all");
  }
}

TEST_CASE("a file's byte strings together are bounded, however small the file") {
  // Found by the scenario_parser fuzz target: 300 such lines (6 KB) held 4.8 GB.
  std::string text = "scenario big\nfamilies tcp4\nsource \"x\"\ns = socket\n";
  for (int i = 0; i < 5; ++i) text += "send s \"x\" * 16MiB\n";
  auto parsed = parseScenario(text, "t.scn");
  REQUIRE_FALSE(parsed);
  REQUIRE(parsed.error().size() == 1);  // lines 5-8 fit exactly (4 x 16 MiB); line 9 does not
  CHECK(parsed.error().front().describe() ==
        "t.scn:9:1: the scenario's byte strings would exceed 67108864 bytes in all");
}
