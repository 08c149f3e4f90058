// Every service of sockspec-server driven by sockspec-client over every transport it applies to: the two
// reference programs against each other, each a child process with a deadline. The client's exit code says
// whether the server behaved; its output is checked here against the RFCs independently of the client.
#include <ctime>
#include <regex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/built_programs.h"
#include "support/event_log_reader.h"
#include "support/live_sockets.h"
#include "support/live_transports.h"
#include "support/process_probe.h"
#include "support/program_run.h"
#include "support/server_control.h"
#include "support/test_files.h"

namespace sockspec {
namespace {

using namespace std::chrono_literals;
using namespace testing;

// Runs sockspec-client against `url` with `args` after --connect and --service, `input` on its stdin.
ProgramRun runClient(const std::string& url, const std::string& service, std::vector<std::string> args = {},
                     std::string_view input = {}) {
  std::vector<std::string> argv{clientBinary(), "--connect", url, "--service", service, "--timeout", "10000"};
  argv.insert(argv.end(), args.begin(), args.end());
  return runProgram(argv, input, 20s);
}

// The server stops on SIGTERM with exit 0, leaves no unix path behind, and no child of the test remains.
void stopAndCheckClean(process::ListeningTarget& server, const std::string& listenUrl) {
  stopServerOrFail(server);
  std::string path = unixPathOf(listenUrl);
  if (!path.empty()) CHECK_FALSE(pathExists(path));
  CHECK(childrenOfThisProcess().empty());
}

// RFC 864: line n is 72 characters starting at printable character n (mod 95) and rotating by one per
// column, then CR LF. Checks every byte of `text`, which starts at the beginning of line 0.
void checkChargenPattern(const std::string& text) {
  REQUIRE_FALSE(text.empty());
  CHECK(text.front() == ' ');
  for (std::size_t offset = 0; offset < text.size(); ++offset) {
    std::size_t line = offset / 74;
    std::size_t column = offset % 74;
    char expected = column == 72 ? '\r' : column == 73 ? '\n' : static_cast<char>(' ' + (line + column) % 95);
    if (text[offset] != expected) {
      FAIL("chargen byte " << offset << " (line " << line << ", column " << column << ") is "
                           << static_cast<int>(text[offset]) << ", expected " << static_cast<int>(expected));
    }
  }
}

const char* const kAllTransports[] = {"tcp", "tcp6", "udp", "udp6", "unix", "unix-dgram", "unix-seqpacket"};

TEST_CASE("echo: the client gets back exactly the bytes it sent, on every transport", "[live][services][echo]") {
  std::string transport = GENERATE(from_range(std::begin(kAllTransports), std::end(kAllTransports)));
  // Whole input at once, then small chunks: on udp, unix-dgram and seqpacket each chunk is one datagram.
  std::string chunking = GENERATE(as<std::string>{}, "", "--chunk=1,7,100");
  CAPTURE(transport, chunking);
  std::string url = listenUrlFor(transport);
  auto server = startReferenceServer(url, "echo");

  std::string input;
  for (int byte = 0; byte < 256; ++byte) input += static_cast<char>(byte);  // NUL, CR, LF, 0xff: all of them
  input += "hello, echo\r\n";
  std::vector<std::string> args{"--input", "-"};
  if (!chunking.empty()) args.push_back(chunking);
  auto run = runClient(server.endpoint.toString(), "echo", args, input);
  INFO(run.describe());
  REQUIRE(run.exitedWith(0));
  CHECK(run.out == input);
  CHECK(run.err.empty());
  stopAndCheckClean(server, url);
}

TEST_CASE("discard: the client sends everything, nothing comes back, and the server read every byte",
          "[live][services][discard]") {
  std::string transport = GENERATE(from_range(std::begin(kAllTransports), std::end(kAllTransports)));
  CAPTURE(transport);
  std::string url = listenUrlFor(transport);
  std::string events = tempFilePath("discard-server", ".jsonl");
  auto server = startReferenceServer(url, "discard", {"--events", events});
  std::string input = patternBytes(4000);  // fits one datagram on every transport
  std::string inputPath = tempFilePath("discard-input");
  writeFileOrFail(inputPath, input);

  auto run = runClient(server.endpoint.toString(), "discard", {"--input", inputPath});
  INFO(run.describe());
  REQUIRE(run.exitedWith(0));
  CHECK(run.out.empty());

  // On a connection the client waited for the server's EOF, so the server has read everything; a datagram
  // may still be queued when the client exits, so wait (bounded) until the server's log shows it.
  auto isBytesIn = [](const EventRecord& record) {
    return (record.call == "recv" || record.call == "recvmsg" || record.call == "recvfrom") && record.result > 0;
  };
  if (isConnectionless(transport)) {
    auto whole = [&](const EventRecord& record) {
      return isBytesIn(record) && record.result == static_cast<std::int64_t>(input.size());
    };
    CHECK(waitForRecord(events, whole, Deadline::after(5s)).matched);
  }
  stopAndCheckClean(server, url);
  auto records = readEventLog(events);
  INFO(describeRecords(records));
  std::uint64_t received = 0;
  for (const auto& record : records) {
    if (isBytesIn(record)) received += static_cast<std::uint64_t>(record.result);
    bool sentBytes = (record.call == "send" || record.call == "sendto" || record.call == "sendmsg") && record.result > 0;
    CHECK_FALSE(sentBytes);  // RFC 863: no response is sent
  }
  CHECK(received == input.size());
}

TEST_CASE("chargen: the client gets the RFC 864 pattern from line 0, on every transport",
          "[live][services][chargen]") {
  std::string transport = GENERATE(from_range(std::begin(kAllTransports), std::end(kAllTransports)));
  CAPTURE(transport);
  std::string url = listenUrlFor(transport);
  auto server = startReferenceServer(url, "chargen");

  // Over a connection: 96 lines, past the 95-line cycle. Over datagrams: one 512-byte datagram per request.
  constexpr std::size_t kLines = 96;
  auto run = runClient(server.endpoint.toString(), "chargen", {"--max-bytes", std::to_string(kLines * 74)});
  INFO(run.describe());
  REQUIRE(run.exitedWith(0));
  CHECK(run.out.size() == (isConnectionless(transport) ? 512 : kLines * 74));
  checkChargenPattern(run.out);
  stopAndCheckClean(server, url);
}

TEST_CASE("daytime: the client gets one RFC 867 line with the current UTC time, on every transport",
          "[live][services][daytime]") {
  std::string transport = GENERATE(from_range(std::begin(kAllTransports), std::end(kAllTransports)));
  CAPTURE(transport);
  std::string url = listenUrlFor(transport);
  auto server = startReferenceServer(url, "daytime");

  std::time_t before = std::time(nullptr);
  auto run = runClient(server.endpoint.toString(), "daytime");
  std::time_t after = std::time(nullptr);
  INFO(run.describe());
  REQUIRE(run.exitedWith(0));
  static const std::regex kShape(
      "(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), "
      "(January|February|March|April|May|June|July|August|September|October|November|December) "
      "(0[1-9]|[12][0-9]|3[01]), [0-9]{4} ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]-UTC\r\n");
  REQUIRE(std::regex_match(run.out, kShape));

  std::tm parsed{};
  REQUIRE(::strptime(run.out.c_str(), "%A, %B %d, %Y %H:%M:%S-UTC", &parsed) != nullptr);
  std::time_t told = ::timegm(&parsed);
  CHECK(told >= before - 1);  // whole seconds: the server may have read the clock just before `before`
  CHECK(told <= after);
  stopAndCheckClean(server, url);
}

TEST_CASE("framed: the script echo hi / reverse abc / stats / bye gets its four replies",
          "[live][services][framed]") {
  std::string transport = GENERATE(as<std::string>{}, "tcp", "tcp6", "unix", "unix-seqpacket");
  CAPTURE(transport);
  std::string url = listenUrlFor(transport);
  auto server = startReferenceServer(url, "framed");
  std::string script = "echo hi\nreverse abc\nstats\nbye\n";
  std::string scriptPath = tempFilePath("framed-script", ".txt");
  writeFileOrFail(scriptPath, script);

  auto run = runClient(server.endpoint.toString(), "framed", {"--input", scriptPath});
  INFO(run.describe());
  REQUIRE(run.exitedWith(0));
  // STATS counts HELLO (version byte + "sockspec-client", docs/client.md), ECHO, REVERSE and itself:
  // 4 frames, 16 + 2 + 3 + 0 payload bytes (docs/framed-protocol.md).
  std::vector<std::string> expected{"hi", "cba", "STATS_REPLY 4 frames, 21 payload bytes", "BYE_REPLY"};
  CHECK(splitLines(run.out) == expected);
  stopAndCheckClean(server, url);
}

}  // namespace
}  // namespace sockspec
