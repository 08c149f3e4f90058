// The language's forms for talking to servers: the read verbs, expectations beyond exact bytes, send-file
// and repeat. What each parses to, that each prints back to text that parses to the same scenario, and the
// exact place and text of what is refused.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "scenario/parser.h"
#include "scenario/printer.h"
#include "support/built_programs.h"

using namespace sockspec::scenario;
using sockspec::pattern::BytePattern;
using sockspec::pattern::PatternKind;

namespace {

const std::string kHead =
    "scenario x\nfamilies tcp4 tcp6 unix\nsource \"s\"\nc = socket\n";  // steps from line 5

std::string firstError(const std::string& steps, const std::string& head = kHead) {
  auto parsed = parseScenario(head + steps, "t.scn");
  return parsed ? std::string("(parsed)") : parsed.error().front().describe();
}

Step onlyStep(const std::string& line) {
  auto parsed = parseScenario(kHead + line + "\n", "t.scn");
  if (!parsed) FAIL(parsed.error().front().describe());
  REQUIRE(parsed->steps.size() == 2);
  return parsed->steps[1];
}

// A folder of its own holding `name` with `bytes`, under the test's temp folder (removed at exit: a folder
// in TMPDIR itself was left behind by every run); returns the folder.
std::string folderWithFile(const std::string& name, const std::string& bytes) {
  std::filesystem::path folder = sockspec::testing::tempFilePath("reads-test-" + name);
  std::filesystem::create_directories(folder);
  std::ofstream(folder / name, std::ios::binary) << bytes;
  return folder.string();
}

}  // namespace

TEST_CASE("the read verbs parse with their options and print back") {
  const Step line = onlyStep("read-line c max 100 within 1s -> \"+PONG\\r\\n\"");
  CHECK(line.verb == Verb::ReadLine);
  REQUIRE(line.arguments.size() == 2);
  CHECK(line.arguments[1].kind == Argument::Kind::Option);
  CHECK(line.arguments[1].text == "max");
  CHECK(line.arguments[1].integer == 100);
  CHECK(line.expect.kind == Expectation::Kind::Bytes);
  CHECK(line.expect.data == BytePattern::exact("+PONG\r\n"));
  CHECK(printStep(line) == "read-line c max 100 within 1000ms -> \"+PONG\\r\\n\"");

  CHECK(printStep(onlyStep("read-until c \"\\r\\n\\r\\n\" -> contains \"200\"")) ==
        "read-until c \"\\r\\n\\r\\n\" -> contains \"200\"");
  CHECK(printStep(onlyStep("read c 4KiB -> 4096")) == "read c 4096 -> 4096");
  CHECK(printStep(onlyStep("read-eof c max 1MiB -> eof")) == "read-eof c max 1048576 -> eof");
  const Step frame = onlyStep("read-prefixed c u32be at 2 max 70 -> prefix \"\\x11\\x00\"");
  REQUIRE(frame.arguments.size() == 4);
  CHECK(frame.arguments[1].text == "u32be");
  CHECK(frame.arguments[2].text == "at");
  CHECK(frame.arguments[2].integer == 2);
  CHECK(printStep(frame) == "read-prefixed c u32be at 2 max 70 -> prefix \"\\x11\\x00\"");
  CHECK(printStep(onlyStep("read-prefixed c u8")) == "read-prefixed c u8");
}

TEST_CASE("expectations beyond exact bytes: prefix, contains, matches, and a count with bytes") {
  const Step prefix = onlyStep("recv c 16 -> prefix \"+P\"");
  CHECK(prefix.expect.kind == Expectation::Kind::Bytes);
  REQUIRE(prefix.expect.data);
  CHECK(prefix.expect.data->kind() == PatternKind::Prefix);
  CHECK(prefix.expect.data->matches("+PONG\r\n"));

  const Step regex = onlyStep("read-line c -> matches \"^HTTP/1\\\\.[01] 200 \"");
  REQUIRE(regex.expect.data);
  CHECK(regex.expect.data->kind() == PatternKind::Regex);
  CHECK(regex.expect.data->text() == "^HTTP/1\\.[01] 200 ");
  CHECK(regex.expect.data->matches("HTTP/1.0 200 OK\r\n"));
  CHECK(printStep(regex) == "read-line c -> matches \"^HTTP/1\\\\.[01] 200 \"");

  const Step counted = onlyStep("recv c 16 -> 7 \"+PONG\\r\\n\"");
  CHECK(counted.expect.kind == Expectation::Kind::Count);
  CHECK(counted.expect.count == 7);
  CHECK(counted.expect.data == BytePattern::exact("+PONG\r\n"));
  CHECK(printStep(counted) == "recv c 16 -> 7 \"+PONG\\r\\n\"");
  CHECK(printStep(onlyStep("recvmsg c 16 -> 7 prefix \"+P\" MSG_TRUNC")) ==
        "recvmsg c 16 -> 7 prefix \"+P\" MSG_TRUNC");
  CHECK(printStep(onlyStep("read c 7 -> contains \"O\" * 2")) == "read c 7 -> contains \"OO\"");
}

TEST_CASE("repeat N STEP runs a step N times, and prints back") {
  const Step repeated = onlyStep("repeat 100 send c \"PING\\r\\n\" -> 6");
  CHECK(repeated.repeat == 100);
  CHECK(repeated.verb == Verb::Send);
  CHECK(printStep(repeated) == "repeat 100 send c \"PING\\r\\n\" -> 6");
  CHECK(onlyStep("send c \"x\"").repeat == 1);
  CHECK(printStep(onlyStep("repeat 1 send c \"x\"")) == "send c \"x\"");
}

TEST_CASE("the new forms are refused with file:line:col and the reason") {
  CHECK(firstError("read-line c max 0\n") == "t.scn:5:17: 'max' must be from 1 to 16777216, not 0");
  CHECK(firstError("read-line c max 17MiB\n") ==
        "t.scn:5:17: 'max' must be from 1 to 16777216, not 17825792");
  CHECK(firstError("read c 0\n") == "t.scn:5:8: length must be from 1 to 16777216, not 0");
  // recv and recvmsg allocate and zero their LENGTH-byte buffer in every job: 2 GiB each was accepted.
  CHECK(firstError("recv c 2147483647\n") ==
        "t.scn:5:8: length must be from 0 to 16777216, not 2147483647 (a recv buffer is at most 16 MiB, the "
        "largest byte string an expectation can hold)");
  CHECK(firstError("recvmsg c 17MiB\n") ==
        "t.scn:5:11: length must be from 0 to 16777216, not 17825792 (a recv buffer is at most 16 MiB, the "
        "largest byte string an expectation can hold)");
  CHECK(firstError("recv c -1\n") ==
        "t.scn:5:8: length must be from 0 to 16777216, not -1 (a recv buffer is at most 16 MiB, the "
        "largest byte string an expectation can hold)");
  CHECK(firstError("read-until c \"\"\n") == "t.scn:5:14: the delimiter must be at least 1 byte");
  CHECK(firstError("read-prefixed c u24\n") ==
        "t.scn:5:17: expected length field: one of u8, u16be, u16le, u32be, u32le, found 'u24' (usage: "
        "read-prefixed SOCKET u8|u16be|u16le|u32be|u32le [at OFFSET] [max N])");
  CHECK(firstError("read-line c -> matches \"(ab\"\n") ==
        "t.scn:5:24: not a regular expression RE2 accepts: missing ): (ab");
  CHECK(
      firstError("read-line c -> prefix\n") ==
      "t.scn:5:22: expected the bytes after 'prefix' (a string such as \"+OK\"), found the end of the line");
  CHECK(firstError("send c \"x\" -> prefix \"x\"\n") ==
        "t.scn:5:15: 'send' reads no bytes to match: only recv, recvmsg and the read verbs do");
  CHECK(firstError("send c \"x\" -> 1 \"x\"\n") ==
        "t.scn:5:17: 'send' reads no bytes to match: only recv, recvmsg and the read verbs do");
  CHECK(firstError("repeat 0 send c \"x\"\n") ==
        "t.scn:5:8: expected a repeat count from 1 to 100000 (repeat N STEP), found '0'");
  CHECK(firstError("repeat 100001 send c \"x\"\n") ==
        "t.scn:5:8: expected a repeat count from 1 to 100000 (repeat N STEP), found '100001'");
  CHECK(firstError("repeat 2 d = socket\n") ==
        "t.scn:5:10: a step that names a socket cannot be repeated: each repetition would name it again");
  CHECK(firstError("repeat = socket\n") == "t.scn:5:1: 'repeat' is a keyword; choose another socket name");
  CHECK(firstError("repeat 2 wire rst c\n") ==
        "t.scn:5:1: a wire step cannot be repeated: it reads packets already captured");
  const std::string datagrams = "scenario x\nfamilies tcp4 udp4\nsource \"s\"\nc = socket\n";
  CHECK(firstError("recv c 4\nread-line c\n", datagrams) ==
        "t.scn:6:1: read-line reads a byte stream, and udp4 is not one: list only tcp4, tcp6 and unix (recv "
        "reads one datagram or message)");
}

TEST_CASE("send-file reads its file at parse time, relative to the scenario's folder") {
  const std::string folder = folderWithFile("request.bin", std::string("GET /\r\n\0\xff", 9));
  const std::string scenarioFile = folder + "/x.scn";
  auto parsed = parseScenario(kHead + "send-file c \"request.bin\" -> 9\n", scenarioFile);
  if (!parsed) FAIL(parsed.error().front().describe());
  const Step& send = parsed->steps[1];
  CHECK(send.verb == Verb::SendFile);
  REQUIRE(send.arguments.size() == 2);
  CHECK(send.arguments[1].kind == Argument::Kind::File);
  CHECK(send.arguments[1].text == "request.bin");
  CHECK(send.arguments[1].fileBytes == std::string("GET /\r\n\0\xff", 9));
  CHECK(printStep(send) == "send-file c \"request.bin\" -> 9");
  auto again = parseScenario(printScenario(*parsed), scenarioFile);
  REQUIRE(again);
  CHECK(*again == *parsed);

  auto missing = parseScenario(kHead + "send-file c \"nope.bin\"\n", scenarioFile);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().front().describe() == scenarioFile + ":5:13: cannot read \"nope.bin\" (" + folder +
                                                  "/nope.bin): open: ENOENT (No such file or directory)");
  auto directory = parseScenario(kHead + "send-file c \".\"\n", scenarioFile);
  REQUIRE_FALSE(directory);
  CHECK_THAT(directory.error().front().describe(), Catch::Contains("EISDIR"));
  auto tooBig = parseScenario(kHead + "send-file c \"request.bin\"\n", scenarioFile, ParseLimits{8, 64});
  REQUIRE_FALSE(tooBig);
  CHECK(tooBig.error().front().describe() ==
        scenarioFile +
            ":5:13: cannot send \"request.bin\": EFBIG (it holds more than 8 bytes, the most a byte "
            "string may)");
  // The file's bytes count against the file's budget for byte strings, as any string does.
  auto overBudget = parseScenario(kHead + "send-file c \"request.bin\"\nsend c \"x\" * 8\n", scenarioFile,
                                  ParseLimits{16, 16});
  REQUIRE_FALSE(overBudget);
  CHECK(overBudget.error().front().describe() ==
        scenarioFile + ":6:1: the scenario's byte strings would exceed 16 bytes in all");
}
