// The verb table of the scenario language (scenario/verbs.h): one row per Verb, in Verb order, each with
// its synopsis and help; names and enumerators map both ways; the parser resolves every verb to its Verb,
// and a scenario using every verb prints as text that parses to the same Scenario.
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <string_view>

#include "scenario/parser.h"
#include "scenario/printer.h"
#include "scenario/verbs.h"

using namespace sockspec::scenario;

namespace {

// One step per verb, with arguments, deadlines and expectations of each kind the verb allows.
const char* const kEveryVerb = R"(scenario all.verbs
title "every verb once"
families tcp4
source "docs/scenario-language.md"
requires target netns

listener = socket nonblocking
bind listener loopback
listen listener 4
client = socket
bind-to client listener
connect client listener within 1s
conn = accept listener -> any
connect-target client -> ECONNREFUSED|EISCONN
send client "hello" MSG_DONTWAIT MSG_MORE -> 5
sendto client "x" * 3 listener -> 3
send-file client "request.bin" -> 6
recv conn 5 MSG_PEEK MSG_WAITALL within 500ms -> "hello"
recvmsg conn 5 MSG_TRUNC -> "hello" MSG_TRUNC MSG_EOR
read-line conn max 100 -> prefix "+OK"
read-until conn "\r\n" within 1s -> contains "K"
repeat 3 read conn 2 -> 2 matches "^[a-z]{2}$"
read-eof conn max 1KiB -> eof
read-prefixed conn u32be at 2 max 70 -> 6
shutdown client wr
setsockopt client SO_LINGER 1 0
nonblocking conn
wait conn readable -> blocks
fill client -> any
drain conn -> eof
check listener state -> LISTEN
counter ListenOverflows -> 0
close conn
wire rst client
wire syn-retransmits client -> 1
)";

// The verb a step line is written with: its first word, or the word after "NAME =".
std::string_view writtenVerb(std::string_view line) {
  if (line.starts_with("repeat ")) line.remove_prefix(line.find(' ', 7) + 1);
  if (auto equals = line.find(" = "); equals != std::string_view::npos) line.remove_prefix(equals + 3);
  return line.substr(0, line.find(' '));
}

// send-file's file, served without the file system.
sockspec::Result<std::string> servedFile(const std::string& path, std::size_t /*maxBytes*/) {
  if (path == "request.bin") return std::string("PING\r\n");
  return sockspec::failWith(ENOENT, "open");
}

ParseResult parseEveryVerb(const std::string& text) {
  return parseScenario(text, "all.scn", {}, servedFile);
}

std::string_view lineOf(std::string_view text, int number) {
  for (int i = 1; i < number; ++i) text.remove_prefix(text.find('\n') + 1);
  return text.substr(0, text.find('\n'));
}

}  // namespace

TEST_CASE("every Verb has exactly one row, in Verb order, with a synopsis and help") {
  REQUIRE(verbTable().size() == kVerbCount);
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kVerbCount; ++i) {
    const auto verb = static_cast<Verb>(i);
    const VerbSpec& spec = verbTable()[i];
    INFO("row " << i << ": " << spec.name);
    CHECK(spec.verb == verb);
    CHECK(&verbSpec(verb) == &spec);
    CHECK_FALSE(spec.name.empty());
    CHECK_FALSE(spec.synopsis.empty());
    CHECK_FALSE(spec.help.empty());
    // The synopsis shows the verb as written.
    CHECK(spec.synopsis.find(spec.name) != std::string_view::npos);
    CHECK(names.insert(spec.name).second);  // no name twice
  }
}

TEST_CASE("verb names and Verbs map both ways") {
  for (std::size_t i = 0; i < kVerbCount; ++i) {
    const auto verb = static_cast<Verb>(i);
    const VerbSpec* found = findVerb(verbName(verb));
    REQUIRE(found != nullptr);
    CHECK(found->verb == verb);
  }
  CHECK(findVerb("lisen") == nullptr);
  CHECK(findVerb("") == nullptr);
  CHECK(findVerb("SOCKET") == nullptr);  // names are case-sensitive
}

TEST_CASE("the parser resolves every verb to its Verb") {
  auto parsed = parseEveryVerb(kEveryVerb);
  if (!parsed) FAIL(parsed.error().front().describe());
  std::set<Verb> seen;
  for (const Step& step : parsed->steps) {
    INFO(lineOf(kEveryVerb, step.place.line));
    CHECK(verbName(step.verb) == writtenVerb(lineOf(kEveryVerb, step.place.line)));
    seen.insert(step.verb);
  }
  CHECK(seen.size() == kVerbCount);  // a new verb belongs in kEveryVerb too
}

TEST_CASE("a scenario with every verb prints as text that parses to the same scenario") {
  auto parsed = parseEveryVerb(kEveryVerb);
  REQUIRE(parsed);
  const std::string printed = printScenario(*parsed);
  INFO(printed);
  auto again = parseEveryVerb(printed);
  if (!again) FAIL(again.error().front().describe());
  CHECK(*again == *parsed);
  CHECK(printScenario(*again) == printed);
  // check always prints its expectation, even "-> ok" (ExpectationRule::Required); others omit "-> ok".
  auto checkOk = parseEveryVerb(std::string(kEveryVerb) + "check client error -> ok\nclose client -> ok\n");
  REQUIRE(checkOk);
  CHECK(printStep(checkOk->steps[checkOk->steps.size() - 2]) == "check client error -> ok");
  CHECK(printStep(checkOk->steps.back()) == "close client");
}

TEST_CASE("rules that hang on a verb's row still hold") {
  const std::string head = "scenario x\nfamilies tcp4\nsource \"s\"\n";
  auto firstError = [](const std::string& text) {
    auto parsed = parseScenario(text, "t.scn");
    return parsed ? std::string("(parsed)") : parsed.error().front().describe();
  };
  CHECK(firstError(head + "s = socket\ncheck s error\n") ==
        "t.scn:5:14: expected '->' and the value to check for, found the end of the line");
  CHECK(firstError(head + "s = socket\nrecv s 4 -> 4 MSG_TRUNC\n") ==
        "t.scn:5:15: only recvmsg reports msg_flags");
  CHECK(
      firstError(head + "s = socket\nrecv s 4 -> LISTEN\n") ==
      "t.scn:5:13: expected an expectation: ok, a count, an errno name, \"bytes\", eof, blocks or any, found "
      "'LISTEN'");
  CHECK(firstError(head + "s = socket\ncheck s state -> LISTEN\n") == "(parsed)");
  CHECK(firstError(head + "socket\n") ==
        "t.scn:4:1: 'socket' makes a socket: name it, as in 'NAME = socket [nonblocking]'");
  CHECK(firstError(head + "s = socket\nx = close s\n") ==
        "t.scn:5:1: 'close' makes no socket to name (close SOCKET)");
}
