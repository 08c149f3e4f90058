// The service suites' self-test (docs/service-suites.md): every suite passes against the reference server on
// every transport it applies to, each --fault variant of the server is caught by the check that applies,
// every time (10 runs each, a fresh server per run), a stalled server fails after the deadline instead of
// hanging, a server that dies is reported as dead, and --target-cmd starts and stops a server.
#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "net/endpoint_sockets.h"
#include "process/target_command.h"
#include "process/target_session.h"
#include "suites/service_suite.h"
#include "support/built_programs.h"

namespace sockspec {
namespace {

using namespace std::chrono_literals;
using report::RunResult;
using report::Status;

// The reference server's --listen URL for a transport name ("tcp6", "unix-dgram", ...).
std::string listenUrl(const std::string& transport) {
  if (transport == "tcp") return "tcp://127.0.0.1:0";
  if (transport == "tcp6") return "tcp://[::1]:0";
  if (transport == "udp") return "udp://127.0.0.1:0";
  if (transport == "udp6") return "udp://[::1]:0";
  return transport + "://" + testing::tempSocketPath("suite-" + transport);
}

// One line per check that did not pass, for the failure output.
std::string describeFailures(const RunResult& run) {
  std::string text;
  for (const auto& check : run.checks) {
    if (check.status == Status::Passed) continue;
    text += fmt::format("{} [{}] {}: {}\n", check.id, check.family, report::statusName(check.status), check.message);
  }
  return text;
}

const report::CheckResult* findCheck(const RunResult& run, std::string_view id) {
  for (const auto& check : run.checks) {
    if (check.id == id) return &check;
  }
  return nullptr;
}

// Starts the reference server, runs the suite against it, stops the server.
RunResult runAgainstReference(const std::string& suite, const std::string& transport,
                              const std::vector<std::string>& serverArgs, suites::SuiteOptions options = {}) {
  auto server = testing::startReferenceServer(listenUrl(transport), suite, serverArgs);
  RunResult run = suites::runServiceSuite(suite, server.endpoint, options);
  server.process.terminate();
  return run;
}

void requireAllPassed(const RunResult& run, std::size_t expectedChecks) {
  INFO(describeFailures(run));
  auto summary = run.summary();
  CHECK(summary.failed == 0);
  CHECK(summary.skipped == 0);
  CHECK(summary.passed == expectedChecks);
}

TEST_CASE("the suite table: names, ids and transports", "[live][suites]") {
  auto names = suites::serviceSuiteNames();
  REQUIRE(std::vector<std::string_view>(names.begin(), names.end()) ==
          std::vector<std::string_view>{"echo", "discard", "chargen", "daytime", "framed", "server"});
  for (auto name : names) {
    const auto* suite = suites::findServiceSuite(name);
    REQUIRE(suite != nullptr);
    for (const auto& check : suite->checks) {
      CAPTURE(check.id);
      CHECK(check.id.substr(0, name.size() + 1) == std::string(name) + ".");
      CHECK_FALSE(check.title.empty());
      CHECK_FALSE(check.source.empty());
      CHECK(check.transports != 0);
    }
  }
  CHECK(suites::findServiceSuite("telnet") == nullptr);
  CHECK(suites::describeTransports(suites::suiteTransports(*suites::findServiceSuite("framed"))) ==
        "tcp, unix, unix-seqpacket");
}

TEST_CASE("an unknown suite or a transport the suite does not serve is one failed result", "[live][suites]") {
  auto endpoint = net::parseEndpoint("udp://127.0.0.1:9");
  REQUIRE(endpoint);
  auto unknown = suites::runServiceSuite("telnet", *endpoint);
  REQUIRE(unknown.checks.size() == 1);
  CHECK(unknown.checks[0].status == Status::Failed);
  CHECK(unknown.checks[0].message == "no service suite named 'telnet' (known: echo, discard, chargen, daytime, framed, server)");
  auto framedOverUdp = suites::runServiceSuite("framed", *endpoint);
  REQUIRE(framedOverUdp.checks.size() == 1);
  CHECK(framedOverUdp.checks[0].id == "framed.transport");
  CHECK(framedOverUdp.checks[0].message ==
        "the framed suite runs over tcp, unix, unix-seqpacket; udp://127.0.0.1:9 is udp");
}

// Check counts per transport kind, pinned so that a check silently dropped from a table shows.
struct SuiteCase {
  std::string suite;
  std::string transport;
  std::size_t checks;
};

TEST_CASE("every suite passes against the reference server on every transport it applies to",
          "[live][suites][reference]") {
  auto run = [](const SuiteCase& c) {
    auto started = std::chrono::steady_clock::now();
    RunResult result = runAgainstReference(c.suite, c.transport, {});
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    INFO(c.suite << " over " << c.transport << " took " << elapsed.count() << " ms");
    requireAllPassed(result, c.checks);
    for (const auto& check : result.checks) CHECK(check.family == c.transport);
    // A correct server is never waited on: the whole suite is far inside one check's deadline.
    CHECK(elapsed < 5s);
  };
  SECTION("echo") {
    for (std::string t : {"tcp", "tcp6", "unix"}) run({"echo", t, 8});
    for (std::string t : {"udp", "udp6", "unix-dgram"}) run({"echo", t, 7});
    run({"echo", "unix-seqpacket", 12});
  }
  SECTION("discard") {
    for (std::string t : {"tcp", "tcp6", "unix", "unix-seqpacket"}) run({"discard", t, 4});
    for (std::string t : {"udp", "udp6", "unix-dgram"}) run({"discard", t, 1});
  }
  SECTION("chargen") {
    for (std::string t : {"tcp", "tcp6", "unix", "unix-seqpacket"}) run({"chargen", t, 5});
    for (std::string t : {"udp", "udp6", "unix-dgram"}) run({"chargen", t, 3});
  }
  SECTION("daytime") {
    for (std::string t : {"tcp", "tcp6", "unix", "unix-seqpacket"}) run({"daytime", t, 4});
    for (std::string t : {"udp", "udp6", "unix-dgram"}) run({"daytime", t, 3});
  }
  SECTION("framed") {
    for (std::string t : {"tcp", "tcp6", "unix", "unix-seqpacket"}) run({"framed", t, 13});
  }
}

// A fault variant, the transport it is run over, and the checks that must fail against it.
struct FaultCase {
  std::string fault;
  std::string transport;
  std::vector<std::string> mustFail;
};

// Runs only the checks that must fail, against a fresh faulty server each time, `runs` times.
void requireCaughtEveryTime(const FaultCase& c, int runs) {
  suites::SuiteOptions options;
  options.only = c.mustFail;
  for (int i = 1; i <= runs; ++i) {
    RunResult result = runAgainstReference("echo", c.transport, {"--fault", c.fault}, options);
    INFO("--fault " << c.fault << " over " << c.transport << ", run " << i << " of " << runs);
    INFO(describeFailures(result));
    REQUIRE(result.checks.size() == c.mustFail.size());
    for (const auto& id : c.mustFail) {
      const auto* check = findCheck(result, id);
      REQUIRE(check != nullptr);
      INFO(id << ": " << check->message);
      CHECK(check->status == Status::Failed);
      CHECK_FALSE(check->message.empty());
    }
  }
}

TEST_CASE("fault one-recv is caught by the echo stream checks, every time", "[live][suites][fault]") {
  for (std::string t : {"tcp", "unix"}) {
    requireCaughtEveryTime({"one-recv", t, {"echo.one-byte-writes", "echo.coalesced-requests", "echo.one-mebibyte"}},
                           10);
  }
}

TEST_CASE("fault truncate-dgram is caught by echo.datagram-max, every time", "[live][suites][fault]") {
  for (std::string t : {"udp", "udp6", "unix-dgram", "unix-seqpacket"}) {
    requireCaughtEveryTime({"truncate-dgram", t, {"echo.datagram-max"}}, 10);
  }
}

TEST_CASE("fault close-listener-first is caught by echo.concurrent-clients, every time", "[live][suites][fault]") {
  for (std::string t : {"tcp", "unix"}) requireCaughtEveryTime({"close-listener-first", t, {"echo.concurrent-clients"}}, 10);
}

TEST_CASE("fault no-half-close is caught by echo.half-close, every time", "[live][suites][fault]") {
  for (std::string t : {"tcp", "unix", "unix-seqpacket"}) requireCaughtEveryTime({"no-half-close", t, {"echo.half-close"}}, 10);
}

TEST_CASE("fault rst-on-close is caught by echo.half-close, every time", "[live][suites][fault]") {
  for (std::string t : {"tcp", "unix", "unix-seqpacket"}) requireCaughtEveryTime({"rst-on-close", t, {"echo.half-close"}}, 10);
}

TEST_CASE("a whole echo run against each fault fails the check that applies and names what came back",
          "[live][suites][fault]") {
  SECTION("one-recv over tcp") {
    auto run = runAgainstReference("echo", "tcp", {"--fault", "one-recv"});
    INFO(describeFailures(run));
    const auto* check = findCheck(run, "echo.one-mebibyte");
    REQUIRE(check != nullptr);
    CHECK(check->status == Status::Failed);
    // At most the one recv's 1024 bytes come back before the server hangs up.
    CHECK_THAT(check->message, Catch::Matches("expected 1048576 bytes back, got [0-9]+ before (EOF|the connection "
                                              "was reset .*)( \\(.*\\))?"));
  }
  SECTION("truncate-dgram over udp") {
    auto run = runAgainstReference("echo", "udp", {"--fault", "truncate-dgram"});
    const auto* check = findCheck(run, "echo.datagram-max");
    REQUIRE(check != nullptr);
    CHECK(check->message == "expected a 65507-byte datagram back, got 1024 bytes");
    // Datagrams that fit the server's 1024-byte buffer still come back.
    CHECK(findCheck(run, "echo.datagram-1024")->status == Status::Passed);
  }
  SECTION("close-listener-first over tcp: everything after the first connection is refused") {
    auto run = runAgainstReference("echo", "tcp", {"--fault", "close-listener-first"});
    INFO(describeFailures(run));
    CHECK(findCheck(run, "echo.one-byte-writes")->status == Status::Passed);
    CHECK(findCheck(run, "echo.concurrent-clients")->status == Status::Failed);
    CHECK_THAT(findCheck(run, "echo.liveness")->message, Catch::Contains("ECONNREFUSED"));
  }
  SECTION("no-half-close over tcp") {
    auto run = runAgainstReference("echo", "tcp", {"--fault", "no-half-close"});
    const auto* check = findCheck(run, "echo.half-close");
    REQUIRE(check != nullptr);
    CHECK(check->status == Status::Failed);
    CHECK_THAT(check->message, Catch::Matches("sent [0-9]+ bytes without reading, then shutdown\\(SHUT_WR\\): "
                                              "expected [0-9]+ bytes back, got [0-9]+ before EOF"));
  }
}

TEST_CASE("a stalled server fails each check after the deadline, never hangs the run", "[live][suites][stall]") {
  // A listener that never accepts: connects complete in the kernel's queue, nothing is ever read or sent.
  auto endpoint = net::parseEndpoint("tcp://127.0.0.1:0");
  REQUIRE(endpoint);
  auto listener = net::bindEndpoint(*endpoint);
  REQUIRE(listener);
  suites::SuiteOptions options;
  options.checkTimeout = 300ms;
  auto started = std::chrono::steady_clock::now();
  auto run = suites::runServiceSuite("echo", listener->local, options);
  auto elapsed = std::chrono::steady_clock::now() - started;
  REQUIRE(run.checks.size() == 8);
  for (const auto& check : run.checks) {
    CAPTURE(check.id, check.message);
    CHECK(check.status == Status::Failed);
    // The 128 clients of echo.concurrent-clients fill the accept queue; later connects are never completed.
    CHECK_THAT(check.message, Catch::Contains("no reply within 300 ms") || Catch::Contains("no EOF within 300 ms") ||
                                  Catch::Contains("not connected by the deadline (the server does not accept)"));
    CHECK(check.durationMs < 1000);
  }
  CHECK(elapsed < 8 * 1s);
  CHECK(findCheck(run, "echo.coalesced-requests")->message == "no reply within 300 ms");
}

TEST_CASE("a datagram server that never answers fails after the deadline", "[live][suites][stall]") {
  auto endpoint = net::parseEndpoint("udp://127.0.0.1:0");
  REQUIRE(endpoint);
  auto socket = net::bindEndpoint(*endpoint);
  REQUIRE(socket);
  suites::SuiteOptions options;
  options.checkTimeout = 200ms;
  options.only = {"echo.datagram-small"};
  auto run = suites::runServiceSuite("echo", socket->local, options);
  REQUIRE(run.checks.size() == 1);
  CHECK(run.checks[0].message == "sent a 11-byte datagram: no reply within 200 ms");
}

TEST_CASE("one server for the run (--keep-target): once it died, the check that finds it fails and the rest are "
          "not run", "[live][suites][crash]") {
  process::TargetSpec spec;
  spec.command = testing::serverBinary() + " --listen tcp://127.0.0.1:{port} --service echo";
  spec.stopGrace = 500ms;
  auto session = process::TargetSession::open(spec);
  REQUIRE(session);
  REQUIRE_FALSE(session->freshPerCheck());
  // SIGKILL, not SIGSEGV: under AddressSanitizer a SIGSEGV is caught and turned into exit 1.
  REQUIRE(::kill(session->processes().at(0), SIGKILL) == 0);
  REQUIRE(session->endedHow(5s));
  suites::SuiteOptions options;
  options.session = &*session;
  auto run = suites::runServiceSuite("echo", session->endpoint(), options);
  INFO(describeFailures(run));
  REQUIRE(run.checks.size() == 8);
  CHECK(run.checks[0].status == Status::Failed);
  CHECK(run.checks[0].message == "not run: the target had died (killed by SIGKILL) before this check");
  CHECK(run.checks[0].target == "died before this check (killed by SIGKILL)");
  for (std::size_t i = 1; i < run.checks.size(); ++i) {
    CHECK(run.checks[i].status == Status::Skipped);
    CHECK(run.checks[i].message == "not run: the target died before " + run.checks[0].id + " (killed by SIGKILL)");
  }
}

TEST_CASE("a server per check: a crash in one check is reported there, and the next check gets a new server",
          "[live][suites][crash]") {
  process::TargetSpec spec;
  spec.command = testing::serverBinary() + " --listen tcp://127.0.0.1:{port} --service echo";
  spec.stopGrace = 500ms;
  spec.freshPerCheck = true;
  auto session = process::TargetSession::open(spec);
  REQUIRE(session);
  // The first check's server is killed before it runs: that check fails and says the server died; the
  // second check's server is a new one, and passes.
  REQUIRE(::kill(session->processes().at(0), SIGKILL) == 0);
  REQUIRE(session->endedHow(5s));
  suites::SuiteOptions options;
  options.session = &*session;
  options.only = {"echo.one-byte-writes", "echo.half-close"};
  auto run = suites::runServiceSuite("echo", session->endpoint(), options);
  INFO(describeFailures(run));
  REQUIRE(run.checks.size() == 2);
  CHECK(run.checks[0].status == Status::Failed);
  CHECK(run.checks[0].target == "died during this check (killed by SIGKILL)");
  CHECK(run.checks[1].status == Status::Passed);
}

TEST_CASE("resolving --target-cmd and --target: ports picked and substituted", "[live][suites][target-cmd]") {
  CHECK(process::substitutePort("srv --port {port} --also={port}", 4242) == "srv --port 4242 --also=4242");
  CHECK(process::substitutePort("no placeholder", 1) == "no placeholder");

  auto picked = process::resolveTarget("srv --listen tcp://127.0.0.1:{port}", process::kDefaultTargetUrl);
  REQUIRE(picked);
  CHECK(picked->endpoint.transport == net::Transport::Tcp);
  CHECK(picked->endpoint.port != 0);
  CHECK(picked->command == fmt::format("srv --listen tcp://127.0.0.1:{}", picked->endpoint.port));

  auto fixed = process::resolveTarget("srv -p {port}", "udp://[::1]:7007");
  REQUIRE(fixed);
  CHECK(fixed->endpoint.port == 7007);
  CHECK(fixed->command == "srv -p 7007");

  auto unixPath = process::resolveTarget("srv /tmp/s.sock", "unix:///tmp/s.sock");
  REQUIRE(unixPath);
  CHECK(unixPath->command == "srv /tmp/s.sock");
  auto unixWithPort = process::resolveTarget("srv {port}", "unix:///tmp/s.sock");
  REQUIRE_FALSE(unixWithPort);
  CHECK(unixWithPort.error() ==
        "unix:///tmp/s.sock is a unix socket and has no port to put in {port}: name the path in both --target and "
        "--target-cmd instead");
  auto bad = process::resolveTarget("srv", "tcp://127.0.0.1:{port}x");
  REQUIRE_FALSE(bad);
}

TEST_CASE("target-cmd: starts the reference server, the suite passes, and the server is stopped",
          "[live][suites][target-cmd]") {
  std::string transport = GENERATE(as<std::string>{}, "tcp", "udp");
  CAPTURE(transport);
  process::TargetCommandOptions options;
  options.command = testing::serverBinary() + " --listen " + transport + "://127.0.0.1:{port} --service echo";
  options.targetUrl = transport + "://127.0.0.1:{port}";
  auto target = process::TargetCommand::start(options);
  REQUIRE(target);
  CHECK(target->endpoint().port != 0);
  pid_t pid = target->pid();
  REQUIRE(pid > 0);

  std::vector<pid_t> processes = target->processes();
  REQUIRE(processes.size() == 1);  // the server: sh exec'd it
  auto run = suites::runServiceSuite("echo", target->endpoint());
  requireAllPassed(run, transport == "tcp" ? 8 : 7);

  CHECK_FALSE(target->describeExit());
  auto status = target->stop();
  // The reference server exits 0 on SIGTERM (docs/server.md), whether sh exec'd it or waited for it.
  INFO("stopped: " << status.describe());
  CHECK(status == process::ExitStatus{true, 0, 0});
  CHECK(::kill(pid, 0) == -1);                 // the supervisor is gone
  CHECK(::kill(processes.front(), 0) == -1);   // and the server
}

TEST_CASE("target-cmd: a command that exits before serving is a clear error", "[live][suites][target-cmd]") {
  process::TargetCommandOptions options;
  options.command = "echo 'cannot bind: address in use' >&2; exit 3 # {port}";
  auto target = process::TargetCommand::start(options);
  REQUIRE_FALSE(target);
  CHECK_THAT(target.error(), Catch::Matches("target command exited \\(exit 3\\) before serving "
                                            "tcp://127\\.0\\.0\\.1:[0-9]+: cannot bind: address in use"));

  options.command = "false";
  auto falseTarget = process::TargetCommand::start(options);
  REQUIRE_FALSE(falseTarget);
  CHECK_THAT(falseTarget.error(), Catch::StartsWith("target command exited (exit 1) before serving tcp://127.0.0.1:"));
}

TEST_CASE("target-cmd: all a failing command wrote before exiting is kept, however fast it exits",
          "[live][suites][target-cmd]") {
  // The command stops its supervisor (tree_supervisor.h: the shell's parent), writes 60,000 bytes, which fit
  // in the pipe, and exits; a helper wakes the supervisor 0.1 s later and exits too. The supervisor then
  // finds its last process gone with the output unread: it used to stop reading then, and the last words
  // were lost (in 8 runs of 10 before the fix; 1 in 10 without the stop).
  process::TargetCommandOptions options;
  options.command = "kill -STOP $PPID; head -c 60000 /dev/zero | tr '\\0' x >&2; "
                    "echo 'cannot bind: the last words' >&2; (sleep 0.1; kill -CONT $PPID) & exit 3 # {port}";
  for (int run = 1; run <= 10; ++run) {
    auto target = process::TargetCommand::start(options);
    REQUIRE_FALSE(target);
    INFO("run " << run << ": " << target.error().substr(0, 200));
    CHECK_THAT(target.error(), Catch::EndsWith("cannot bind: the last words"));
  }
}

TEST_CASE("target-cmd: a command that never serves fails at the deadline and is stopped", "[live][suites][target-cmd]") {
  process::TargetCommandOptions options;
  options.command = "sleep 30 # {port}";
  options.readyTimeout = 300ms;
  auto started = std::chrono::steady_clock::now();
  auto target = process::TargetCommand::start(options);
  REQUIRE_FALSE(target);
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  CHECK_THAT(target.error(), Catch::Matches("target command did not serve tcp://127\\.0\\.0\\.1:[0-9]+ within 300 ms "
                                            "\\(last probe: .*ECONNREFUSED.*\\)"));
}

TEST_CASE("a shell's exit status names the signal that killed its child", "[live][suites][target-cmd]") {
  CHECK(process::describeTargetExit({true, 139, 0}) == "exit 139 (a shell's report of SIGSEGV)");
  CHECK(process::describeTargetExit({true, 1, 0}) == "exit 1");
  CHECK(process::describeTargetExit({false, 0, SIGKILL}) == "killed by SIGKILL");
}

}  // namespace
}  // namespace sockspec
