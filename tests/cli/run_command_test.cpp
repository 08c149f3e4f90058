// `sockspec run` end to end: scenarios that pass, scenarios that must fail with a pinned message, malformed
// scenario files (exit 2 with file:line:col), reports, deadlines, and nothing left behind.
#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>
#include <thread>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "support/built_programs.h"
#include "support/program_run.h"
#include "support/test_files.h"

using namespace sockspec::testing;

namespace {

const std::string kHeader = "scenario t.one\nfamilies tcp4\nsource \"test\"\n";
// The steps most scenarios here start with: a listener and one client connected to it (lines 4-8).
const std::string kConnectedPair =
    "server = socket\nbind server\nlisten server 1\nclient = socket\nconnect client server\n";

ProgramRun runSockspec(const PrivateTemp& temp, std::vector<std::string> arguments,
                       std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  std::vector<std::string> argv{"/usr/bin/env", "TMPDIR=" + temp.path, sockspecBinary(), "run", "--color", "never"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return runProgram(argv, {}, limit);
}

std::string writeScenario(const std::string& stem, const std::string& text) {
  std::string path = tempFilePath(stem, ".scn");
  writeFileOrFail(path, text);
  return path;
}

const char* const kPassing = R"SCN(scenario t.pass
families tcp4 tcp6 unix
source "recv(2)"
server = socket
bind server
listen server 1
client = socket
connect client server
conn = accept server
send client "hi" -> 2
recv conn 8 -> "hi"
)SCN";

}  // namespace

TEST_CASE("a passing scenario runs once per family and exits 0") {
  PrivateTemp temp;
  auto run = runSockspec(temp, {writeScenario("pass", kPassing)});
  INFO(run.describe() << run.out);
  CHECK(run.exitedWith(0));
  CHECK(run.out.find("PASS  t.pass[tcp4]") != std::string::npos);
  CHECK(run.out.find("PASS  t.pass[unix]") != std::string::npos);
  CHECK(run.out.find("\n3 passed, 0 failed, 0 skipped in ") != std::string::npos);
  // No check here is about a tutorial claim, so there is no claims section (the default suite has one).
  CHECK(run.out.find("Claims:") == std::string::npos);
  CHECK(temp.empty());
}

TEST_CASE("a failing step is reported with file:line, the step, expected and got, and exit 1") {
  PrivateTemp temp;
  std::string file = writeScenario("fail", kHeader + kConnectedPair + R"SCN(conn = accept server
close conn
recv client 16 -> ECONNRESET
)SCN");
  auto run = runSockspec(temp, {file});
  INFO(run.describe() << run.out);
  CHECK(run.exitedWith(1));
  CHECK(run.out.find("FAIL  t.one[tcp4]") != std::string::npos);
  CHECK(run.out.find(file + ":11: recv client 16 -> ECONNRESET: expected ECONNRESET, got 0 (eof or an empty "
                            "datagram)") != std::string::npos);
  CHECK(run.out.find("0 passed, 1 failed, 0 skipped") != std::string::npos);
  CHECK(temp.empty());
}

TEST_CASE("malformed scenario files get exit 2 and a file:line:col message, never a crash or a hang") {
  struct Case {
    const char* name;
    std::string text;
    std::string expected;  // the message after "FILE:"
  };
  std::string garbage;
  for (int i = 0; i < 2048; ++i) garbage += static_cast<char>((i * 97 + 13) % 256);
  std::vector<Case> cases{
      {"unterminated", kHeader + "s = socket\nsend s \"abc\n", "5:8: unterminated string"},
      {"unknown verb", kHeader + "s = socket\nfrobnicate s\n", "5:1: unknown verb 'frobnicate'"},
      {"long line", kHeader + "s = socket\nsend s \"" + std::string(1'000'000, 'a') + "\"\n",
       "5:4097: line is 1000009 bytes long"},
      {"deep nesting", kHeader + "s = socket\nsend s " + std::string(30, '(') + "\"a\"" + std::string(30, ')') + "\n",
       "5:16: parentheses nest more than 8 deep"},
      {"invalid utf-8", kHeader + "s = socket\nsend s \"\xff\xfe\"\n", "5:9: invalid UTF-8"},
      {"nul byte", kHeader + std::string("s = socket\nclose s\0\n", 20), "5:8: NUL byte"},
      {"binary garbage", garbage, "1:"},
  };
  for (const auto& c : cases) {
    SECTION(c.name) {
      PrivateTemp temp;
      std::string file = writeScenario("bad", c.text);
      auto run = runSockspec(temp, {file}, std::chrono::seconds(10));
      INFO(run.describe());
      CHECK(run.exitedWith(2));
      CHECK(run.err.find(file + ":" + c.expected) != std::string::npos);
      CHECK(run.err.find("nothing was run") != std::string::npos);
      CHECK(run.out.find("PASS") == std::string::npos);
    }
  }
}

TEST_CASE("a scenario that outlives --timeout is killed and reported, not waited for") {
  PrivateTemp temp;
  std::string file = writeScenario("slow", kHeader + kConnectedPair + R"SCN(recv client 4 within 60s -> "never"
)SCN");
  auto started = std::chrono::steady_clock::now();
  auto run = runSockspec(temp, {"--timeout", "500", file});
  auto elapsed = std::chrono::steady_clock::now() - started;
  INFO(run.describe() << run.out);
  CHECK(run.exitedWith(1));
  CHECK(run.out.find("did not finish within 500 ms and was killed") != std::string::npos);
  CHECK(elapsed < std::chrono::seconds(10));
  CHECK(temp.empty());
}

TEST_CASE("a JSON report has the documented keys, and listing runs nothing") {
  PrivateTemp temp;
  std::string file = writeScenario("pass", kPassing);
  std::string out = tempFilePath("report", ".json");
  auto run = runSockspec(temp, {"--report", "json", "--out", out, file});
  INFO(run.describe());
  REQUIRE(run.exitedWith(0));
  auto json = nlohmann::json::parse(readFileOrFail(out));
  CHECK(json["summary"]["passed"] == 3);
  CHECK(json["summary"]["failed"] == 0);
  REQUIRE(json["scenarios"].size() == 3);
  for (const auto& scenario : json["scenarios"]) {
    for (const char* key : {"id", "family", "status", "file", "line", "message", "duration_ms"}) {
      CHECK(scenario.contains(key));
    }
  }
  CHECK(json["claims"].empty());  // no check is about a tutorial claim (the default suite's are: 4 verdicts)

  auto listed = runSockspec(temp, {"--list", file});
  CHECK(listed.exitedWith(0));
  CHECK(listed.out.find("t.pass[tcp6]") != std::string::npos);
  CHECK(listed.out.find("PASS") == std::string::npos);
}

TEST_CASE("bad command lines exit 2 with one line") {
  PrivateTemp temp;
  auto missing = runSockspec(temp, {"/nonexistent/dir"});
  CHECK(missing.exitedWith(2));
  CHECK(missing.err == "sockspec run: /nonexistent/dir: ENOENT (No such file or directory)\n");
  auto badReport = runSockspec(temp, {"--report", "xml", writeScenario("pass", kPassing)});
  CHECK(badReport.exitedWith(2));
  CHECK(badReport.err.find("--report: unknown report format 'xml'") != std::string::npos);
  auto noMatch = runSockspec(temp, {"--filter", "zzz*", writeScenario("pass", kPassing)});
  CHECK(noMatch.exitedWith(2));
  CHECK(noMatch.err == "sockspec run: --filter 'zzz*' matches no scenario\n");
}

TEST_CASE("the default suite runs when no path is given, and passes") {
  PrivateTemp temp;
  auto run = runSockspec(temp, {}, std::chrono::seconds(60));
  INFO(run.describe() << run.out);
  CHECK(run.exitedWith(0));
  CHECK(run.out.find(" failed, ") != std::string::npos);
  CHECK(run.out.find("Claims:") != std::string::npos);
  CHECK(temp.empty());
}

TEST_CASE("Ctrl-C stops the run at once, kills the scenario processes and leaves nothing behind") {
  PrivateTemp temp;
  std::string file = writeScenario("waits", kHeader + kConnectedPair + R"SCN(recv client 4 within 60s -> "none"
)SCN");
  sockspec::process::SpawnOptions options;
  options.captureStderr = true;
  auto child = sockspec::process::ChildProcess::spawn(
      {"/usr/bin/env", "TMPDIR=" + temp.path, sockspecBinary(), "run", "--color", "never", file}, options);
  REQUIRE(child.ok());
  // The scenario is running once its work directory exists.
  auto deadline = sockspec::Deadline::after(std::chrono::seconds(10));
  while (temp.empty() && !deadline.expired()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE_FALSE(temp.empty());
  auto started = std::chrono::steady_clock::now();
  child->signal(SIGINT);
  auto status = child->wait(sockspec::Deadline::after(std::chrono::seconds(10)));
  REQUIRE(status.has_value());
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  CHECK(status->exited);
  CHECK(status->code == 130);
  CHECK(child->readAllStderr(sockspec::Deadline::after(std::chrono::seconds(1))).find("interrupted") !=
        std::string::npos);
  CHECK(temp.empty());
}

TEST_CASE("target mode: the reference server passes its service suite and a faulty one fails it") {
  PrivateTemp temp;
  std::string server = serverBinary();
  auto good = runSockspec(temp, {"--suite", "echo", "--target-cmd",
                                 server + " --listen tcp://127.0.0.1:{port} --service echo"},
                          std::chrono::seconds(60));
  INFO(good.describe() << good.out);
  CHECK(good.exitedWith(0));
  CHECK(good.out.find("PASS  echo.half-close") != std::string::npos);
  CHECK(good.out.find(" 0 failed, ") != std::string::npos);

  auto faulty = runSockspec(temp, {"--suite", "echo", "--target-cmd",
                                   server + " --listen tcp://127.0.0.1:{port} --service echo --fault one-recv"},
                            std::chrono::seconds(60));
  INFO(faulty.describe() << faulty.out);
  CHECK(faulty.exitedWith(1));
  CHECK(faulty.out.find("FAIL  echo.one-byte-writes") != std::string::npos);
}

TEST_CASE("target mode: bad suites and unreachable targets exit 2 with one line") {
  PrivateTemp temp;
  auto unknown = runSockspec(temp, {"--suite", "gopher", "--target", "tcp://127.0.0.1:7"});
  CHECK(unknown.exitedWith(2));
  CHECK(unknown.err ==
        "sockspec run: --suite 'gopher': expected default, or a service suite: echo, discard, chargen, daytime, "
        "framed, server\n");
  auto refused = runSockspec(temp, {"--suite", "echo", "--target", "tcp://127.0.0.1:1"});
  CHECK(refused.exitedWith(2));
  CHECK(refused.err ==
        "sockspec run: --target unreachable: tcp://127.0.0.1:1: connect: ECONNREFUSED (Connection refused)\n");
  auto noTarget = runSockspec(temp, {"--suite", "echo"});
  CHECK(noTarget.exitedWith(2));
  auto exits = runSockspec(temp, {"--suite", "echo", "--target-cmd", "false"});
  CHECK(exits.exitedWith(2));
  CHECK(exits.err.find("target command exited (exit 1) before serving tcp://127.0.0.1:") != std::string::npos);
  // A shell builtin runs as written, not after `exec` (which would make it "not found", status 127).
  auto builtin = runSockspec(temp, {"--suite", "echo", "--target-cmd", "exit 3"});
  CHECK(builtin.exitedWith(2));
  CHECK(builtin.err.find("target command exited (exit 3) before serving tcp://127.0.0.1:") != std::string::npos);
}

TEST_CASE("out-of-range and meaningless options exit 2 naming the option and value, before any work") {
  PrivateTemp temp;
  std::string scenario = writeScenario("pass", kPassing);
  std::string file = tempFilePath("capture-file");
  writeFileOrFail(file, "x");
  // An echo server that is there, so that only the option can be what is refused.
  std::vector<std::string> echo{"--suite", "echo", "--target-cmd",
                                serverBinary() + " --listen tcp://127.0.0.1:{port} --service echo"};
  auto with = [](std::vector<std::string> arguments, std::vector<std::string> more) {
    arguments.insert(arguments.end(), more.begin(), more.end());
    return arguments;
  };
  struct Case {
    std::vector<std::string> arguments;
    std::string message;
  };
  const std::vector<Case> cases{
      {{"-j", "-1", scenario}, "--jobs -1: expected 1 or more (0: twice the cores)"},
      {with(echo, {"--isolation", "bogus"}), "--isolation 'bogus': expected auto, netns or none"},
      {with(echo, {"--isolation", "netns"}),
       "--isolation goes with scenario runs: a service suite's checks run in this host's network, against --target"},
      {with(echo, {"--capture", file}), "--capture " + file + ": not a folder (ENOTDIR)"},
      {{"--capture", file, scenario}, "--capture " + file + ": not a folder (ENOTDIR)"},
      {with(echo, {"--user", "sockspec-no-such-user"}), "--user: no user 'sockspec-no-such-user'"},
      {with(echo, {"--user", "root"}),
       "--user goes with scenario runs: a service suite's checks run as the user sockspec runs as"},
  };
  for (const auto& [arguments, message] : cases) {
    auto run = runSockspec(temp, arguments);
    INFO(fmt::format("{}", fmt::join(arguments, " ")) << "\n" << run.describe());
    CHECK(run.exitedWith(2));
    CHECK(run.err == "sockspec run: " + message + "\n");
  }
  CHECK(temp.empty());
}

TEST_CASE("target mode: a unix-dgram target with no socket at its path exits 2 like a refused TCP one") {
  PrivateTemp temp;
  auto missing = runSockspec(temp, {"--suite", "echo", "--target", "unix-dgram:///nonexistent.sock"});
  INFO(missing.describe() << missing.out);
  CHECK(missing.exitedWith(2));
  CHECK(missing.err == "sockspec run: --target unreachable: unix-dgram:///nonexistent.sock: connect: ENOENT "
                       "(No such file or directory)\n");
}

TEST_CASE("the server profile: bad --request and --reply values exit 2 naming the option") {
  PrivateTemp temp;
  auto badEscape = runSockspec(temp, {"--suite", "server", "--target", "tcp://127.0.0.1:1", "--request", "PING\\q",
                                      "--reply", "PONG"});
  CHECK(badEscape.exitedWith(2));
  CHECK(badEscape.err == "sockspec run: --request 'PING\\\\q': column 5: unknown escape '\\q': expected \\n "
                         "\\r \\t \\0 \\\\ \\\" or \\xNN\n");
  auto badRegex = runSockspec(temp, {"--suite", "server", "--target", "tcp://127.0.0.1:1", "--request", "PING",
                                     "--reply", "(PONG"});
  CHECK(badRegex.exitedWith(2));
  CHECK(badRegex.err == "sockspec run: --reply '(PONG': missing ): (PONG\n");
  auto noRequest = runSockspec(temp, {"--suite", "server", "--target", "tcp://127.0.0.1:1", "--reply", "PONG"});
  CHECK(noRequest.exitedWith(2));
  CHECK(noRequest.err.starts_with("sockspec run: --suite server needs --request"));
}

TEST_CASE("target mode: {events} gives the target a log file whose call order is checked") {
  PrivateTemp temp;
  std::string server = serverBinary();
  auto legal = runSockspec(temp, {"--suite", "daytime", "--target-cmd",
                                  server + " --listen tcp://127.0.0.1:{port} --service daytime --events {events}"},
                           std::chrono::seconds(60));
  INFO(legal.describe() << legal.out);
  CHECK(legal.exitedWith(0));
  CHECK(legal.out.find("PASS  events.lifecycle-order") != std::string::npos);

  // A target whose log shows a send on a descriptor it never opened.
  std::string forged = R"(echo '{"pid":1,"call":"send","fd":9,"result":1}' > {events}; exec )" + server +
                       " --listen tcp://127.0.0.1:{port} --service daytime";
  auto illegal = runSockspec(temp, {"--suite", "daytime", "--target-cmd", forged}, std::chrono::seconds(60));
  INFO(illegal.describe() << illegal.out);
  CHECK(illegal.exitedWith(1));
  CHECK(illegal.out.find("FAIL  events.lifecycle-order") != std::string::npos);
  CHECK(illegal.out.find("1 of 1 calls out of order; first: send on fd 9 on a descriptor no socket or accept call "
                         "opened") != std::string::npos);
  CHECK(temp.empty());
}

TEST_CASE("target mode: with a fresh server per check, every start's {events} log is checked, not only the last") {
  PrivateTemp temp;
  std::string server = serverBinary();
  std::string marker = tempFilePath("events-started-once");
  // The first start forges its log; every later one writes a legal log at the same {events} path would
  // have replaced it, had all starts shared one file.
  std::string command = fmt::format(
      R"(if [ -e {0} ]; then exec {1} --listen tcp://127.0.0.1:{{port}} --service daytime --events {{events}}; fi; )"
      R"(touch {0}; echo '{{"pid":1,"call":"send","fd":9,"result":1}}' > {{events}}; exec {1} --listen )"
      R"(tcp://127.0.0.1:{{port}} --service daytime)",
      marker, server);
  auto run = runSockspec(temp, {"--suite", "daytime", "--target-cmd", command}, std::chrono::seconds(60));
  std::filesystem::remove(marker);
  INFO(run.describe() << run.out);
  CHECK(run.exitedWith(1));
  CHECK(run.out.find("FAIL  events.lifecycle-order") != std::string::npos);
  CHECK(run.out.find("the target's start 1 of ") != std::string::npos);
  CHECK(run.out.find(": 1 of 1 calls out of order; first: send on fd 9") != std::string::npos);
  CHECK(temp.empty());
}

TEST_CASE("capture: one pcap per scenario and family, which inspect reads back") {
  PrivateTemp temp;
  std::string directory = tempFilePath("captures");
  std::string file = writeScenario("rst", R"SCN(scenario t.rst
families tcp4
source "tcp_close()"
server = socket
bind server
listen server 1
client = socket
connect client server
conn = accept server
send client "unread" -> 6
wait conn readable
close conn
recv client 16 -> ECONNRESET
)SCN");
  auto run = runSockspec(temp, {"--capture", directory, "--report", "json", "--out", directory + ".json", file});
  INFO(run.describe() << run.out);
  REQUIRE(run.exitedWith(0));
  std::string pcap = directory + "/t.rst.tcp4.pcap";
  REQUIRE(pathExists(pcap));
  auto json = nlohmann::json::parse(readFileOrFail(directory + ".json"));
  CHECK(json["scenarios"][0]["capture"]["file"] == pcap);
  CHECK(json["scenarios"][0]["capture"]["dropped"] == 0);
  CHECK(json["scenarios"][0]["capture"]["received"].get<int>() >= 5);

  auto inspected = runProgram({sockspecBinary(), "inspect", "--json", pcap});
  INFO(inspected.describe() << inspected.out);
  REQUIRE(inspected.exitedWith(0));
  auto flows = nlohmann::json::parse(inspected.out);
  // The handshake, the 6 unread bytes, then the RST that close() with unread data sends (tcp_close()),
  // from the responder: Zeek's letters S, h, D, then r.
  const auto& flow = flows["files"][0]["flows"][0];
  CHECK(flow["proto"] == "tcp");
  std::string history = flow["history"].get<std::string>();
  CHECK(history.rfind("Sh", 0) == 0);
  CHECK(history.find('D') != std::string::npos);
  CHECK(history.back() == 'r');
  CHECK(flow["anomalies"]["rst"] == 1);
  CHECK(temp.empty());
}
