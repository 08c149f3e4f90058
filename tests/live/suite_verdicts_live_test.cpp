// The service suites' verdicts on what real servers do (issue #12): a chargen pattern other than the
// recommended one is a note, not a failure; daytime.ignores-input gets its input to the server before the
// server can close, every time; echo.half-close catches a server that drops its replies at EOF even when
// that server is descheduled while the check fills the pipe. Each is run 20 times against the reference
// server (and its --fault) and, where installed, against xinetd's builtin services.
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "process/target_command.h"
#include "suites/service_suite.h"
#include "support/built_programs.h"

namespace sockspec {
namespace {

using namespace std::chrono_literals;
using report::RunResult;
using report::Status;

constexpr int kRuns = 20;

std::string listenUrl(const std::string& transport) {
  if (transport == "tcp") return "tcp://127.0.0.1:0";
  if (transport == "tcp6") return "tcp://[::1]:0";
  if (transport == "udp") return "udp://127.0.0.1:0";
  return transport + "://" + testing::tempSocketPath("verdicts-" + transport);
}

std::string describeChecks(const RunResult& run) {
  std::string text;
  for (const auto& check : run.checks) {
    text += fmt::format("{} [{}] {}: {}\n", check.id, check.family, report::statusName(check.status), check.message);
  }
  return text;
}

const report::CheckResult& onlyCheck(const RunResult& run, std::string_view id) {
  INFO(describeChecks(run));
  REQUIRE(run.checks.size() == 1);
  REQUIRE(run.checks[0].id == id);
  return run.checks[0];
}

// Runs the checks `only` of `suite` against a fresh reference server with `serverArgs`.
RunResult runAgainstReference(const std::string& suite, const std::string& transport,
                              const std::vector<std::string>& serverArgs, std::vector<std::string> only) {
  auto server = testing::startReferenceServer(listenUrl(transport), suite, serverArgs);
  suites::SuiteOptions options;
  options.only = std::move(only);
  RunResult run = suites::runServiceSuite(suite, server.endpoint, options);
  server.process.terminate();
  return run;
}

// The path of `program` on $PATH or in /usr/sbin (where Debian puts xinetd); empty when absent.
std::string findProgram(const std::string& program) {
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path += ":/usr/sbin:/sbin";
  for (std::size_t start = 0; start <= path.size();) {
    auto end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string candidate = path.substr(start, end - start) + "/" + program;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

// xinetd (in the foreground) serving its builtin `service` at one free port, over tcp and, with `udp`, over
// udp at the same number. The configuration is written from a template by the command itself, where the
// port is known ({port}).
Expected<process::TargetCommand, std::string> startXinetd(const std::string& xinetd, const std::string& service,
                                                          bool udp, const std::string& cps = "100000 1") {
  const passwd* user = ::getpwuid(::getuid());
  std::string userName = user != nullptr ? user->pw_name : "root";
  std::string entry = R"(service {service}
{{
  type = INTERNAL UNLISTED
  id = {service}-{kind}
  socket_type = {kind}
  protocol = {protocol}
  port = @PORT@
  bind = 127.0.0.1
  user = {user}
  wait = {wait}
  instances = UNLIMITED
  per_source = UNLIMITED
  cps = {cps}
}}
)";
  std::string config = fmt::format(fmt::runtime(entry), fmt::arg("service", service), fmt::arg("kind", "stream"),
                                   fmt::arg("protocol", "tcp"), fmt::arg("user", userName), fmt::arg("wait", "no"),
                                   fmt::arg("cps", cps));
  if (udp) {
    config += fmt::format(fmt::runtime(entry), fmt::arg("service", service), fmt::arg("kind", "dgram"),
                          fmt::arg("protocol", "udp"), fmt::arg("user", userName), fmt::arg("wait", "yes"),
                          fmt::arg("cps", cps));
  }
  std::string templatePath = testing::tempFilePath("xinetd-" + service, ".conf.in");
  std::ofstream(templatePath) << config;
  std::string configPath = testing::tempFilePath("xinetd-" + service, ".conf");
  std::string logPath = testing::tempFilePath("xinetd-" + service, ".log");
  process::TargetCommandOptions options;
  options.command = fmt::format("sed 's/@PORT@/{{port}}/' '{}' > '{}' && exec '{}' -dontfork -stayalive -filelog '{}' -f '{}'",
                                templatePath, configPath, xinetd, logPath, configPath);
  return process::TargetCommand::start(options);
}

net::Endpoint udpTwin(const net::Endpoint& tcp) {
  auto endpoint = net::parseEndpoint(fmt::format("udp://127.0.0.1:{}", tcp.port));
  REQUIRE(endpoint);
  return *endpoint;
}

// Stops `pid` for 30 ms of every 50 ms (SIGSTOP, SIGCONT) while it lives: what a loaded machine's scheduler
// does to a server now and then, made regular. Always leaves it running.
class Descheduler {
 public:
  explicit Descheduler(pid_t pid)
      : m_thread([this, pid] {
          while (!m_stop.load()) {
            ::kill(pid, SIGSTOP);
            std::this_thread::sleep_for(30ms);
            ::kill(pid, SIGCONT);
            std::this_thread::sleep_for(20ms);
          }
        }) {}
  ~Descheduler() {
    m_stop.store(true);
    m_thread.join();
  }
  Descheduler(const Descheduler&) = delete;
  Descheduler& operator=(const Descheduler&) = delete;

 private:
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

// --- chargen: RFC 864 requires data, not the pattern --------------------------------------------------------

TEST_CASE("chargen: the reference server's recommended pattern passes without a note", "[live][verdicts][chargen]") {
  for (std::string transport : {"tcp", "unix-seqpacket"}) {
    auto run = runAgainstReference("chargen", transport, {}, {"chargen.pattern"});
    const auto& check = onlyCheck(run, "chargen.pattern");
    CHECK(check.status == Status::Passed);
    CHECK(check.message.empty());
  }
  auto run = runAgainstReference("chargen", "udp", {}, {"chargen.datagram-reply"});
  const auto& check = onlyCheck(run, "chargen.datagram-reply");
  CHECK(check.status == Status::Passed);
  CHECK(check.message.empty());
}

TEST_CASE("chargen: xinetd's 93-character cycle passes with a note, and its 1024-byte UDP replies fail",
          "[live][verdicts][chargen][xinetd]") {
  std::string xinetd = findProgram("xinetd");
  if (xinetd.empty()) {
    WARN("skipped: xinetd is not installed (apt-get install xinetd)");
    return;
  }
  auto target = startXinetd(xinetd, "chargen", true);
  REQUIRE(target);
  auto stream = suites::runServiceSuite("chargen", target->endpoint());
  INFO(describeChecks(stream));
  REQUIRE(stream.checks.size() == 5);
  for (const auto& check : stream.checks) CHECK(check.status == Status::Passed);
  // Where in its cycle xinetd starts differs from client to client,
  // and a stream that starts at '!' matches the recommended pattern for up to 1699 bytes, until a '~' is due.
  CHECK_THAT(stream.checks[0].message,
             Catch::Matches("not the recommended 72-column rotating pattern: a cycle of 93 characters \\('!' to '.'\\), "
                            "72 per line and CR LF( \\(it matches the recommended pattern for its first [0-9]+ bytes\\))?"));

  auto datagrams = suites::runServiceSuite("chargen", udpTwin(target->endpoint()));
  INFO(describeChecks(datagrams));
  REQUIRE(datagrams.checks.size() == 3);
  CHECK(datagrams.checks[0].message == "sent a 8-byte datagram: the reply has 1024 bytes; RFC 864 allows 0 to 512");
  for (const auto& check : datagrams.checks) CHECK(check.status == Status::Failed);
}

// --- daytime.ignores-input: the input is on the server's socket before the server can close ----------------

TEST_CASE("daytime.ignores-input catches a server that closes without reading, 20 runs of 20",
          "[live][verdicts][daytime]") {
  for (std::string transport : {"tcp", "tcp6", "unix", "unix-seqpacket"}) {
    for (int i = 1; i <= kRuns; ++i) {
      auto run = runAgainstReference("daytime", transport, {"--fault", "close-without-reading"},
                                     {"daytime.ignores-input"});
      const auto& check = onlyCheck(run, "daytime.ignores-input");
      INFO(transport << ", run " << i << " of " << kRuns << ": " << check.message);
      REQUIRE(check.status == Status::Failed);
      CHECK_THAT(check.message, Catch::Contains("the connection was reset (recv: ECONNRESET"));
    }
  }
}

TEST_CASE("daytime.ignores-input passes the correct server, 20 runs of 20", "[live][verdicts][daytime]") {
  for (std::string transport : {"tcp", "tcp6", "unix", "unix-seqpacket"}) {
    for (int i = 1; i <= kRuns; ++i) {
      auto run = runAgainstReference("daytime", transport, {}, {"daytime.ignores-input"});
      const auto& check = onlyCheck(run, "daytime.ignores-input");
      INFO(transport << ", run " << i << " of " << kRuns << ": " << check.message);
      REQUIRE(check.status == Status::Passed);
    }
  }
}

TEST_CASE("daytime.ignores-input catches xinetd's builtin daytime, 20 runs of 20",
          "[live][verdicts][daytime][xinetd]") {
  std::string xinetd = findProgram("xinetd");
  if (xinetd.empty()) {
    WARN("skipped: xinetd is not installed (apt-get install xinetd)");
    return;
  }
  auto target = startXinetd(xinetd, "daytime", false);
  REQUIRE(target);
  suites::SuiteOptions options;
  options.only = {"daytime.ignores-input"};
  for (int i = 1; i <= kRuns; ++i) {
    auto run = suites::runServiceSuite("daytime", target->endpoint(), options);
    const auto& check = onlyCheck(run, "daytime.ignores-input");
    INFO("run " << i << " of " << kRuns << ": " << check.message);
    REQUIRE(check.status == Status::Failed);
    CHECK_THAT(check.message, Catch::Contains("the connection was reset (recv: ECONNRESET"));
  }
}

// --- echo.half-close: a server that is descheduled while the pipe fills ------------------------------------

// Over unix-seqpacket a run with 13 records in flight (851968 bytes, the server holding 5) used to pass now and
// then (about 1 run in 100-200 with this descheduling and two busy loops): the server, preempted in the middle
// of flushing its queue, sent into the room the client made meanwhile, and emptied its queue before it read
// the EOF. The client now reads only while the server holds more than it could send (suites/server_hold.h):
// this test with 150 runs each, 5 times under two busy loops: 1,500 of 1,500 caught, 1,500 correct passed.
TEST_CASE("echo.half-close catches no-half-close on AF_UNIX while the server is descheduled, 20 runs of 20",
          "[live][verdicts][half-close-stress]") {
  for (std::string transport : {"unix-seqpacket", "unix"}) {
    for (std::string fault : {"no-half-close", "none"}) {
      auto server = testing::startReferenceServer(listenUrl(transport), "echo", {"--fault", fault});
      suites::SuiteOptions options;
      options.only = {"echo.half-close"};
      {
        Descheduler descheduler(server.process.pid());
        for (int i = 1; i <= kRuns; ++i) {
          auto run = suites::runServiceSuite("echo", server.endpoint, options);
          const auto& check = onlyCheck(run, "echo.half-close");
          INFO(transport << ", --fault " << fault << ", run " << i << " of " << kRuns << ": " << check.message);
          if (fault == "none") {
            REQUIRE(check.status == Status::Passed);
          } else {
            REQUIRE(check.status == Status::Failed);
          }
        }
      }
      server.process.terminate();
    }
  }
}

TEST_CASE("echo.concurrent-clients names xinetd's connection rate limit (cps) as the cause", "[live][verdicts][xinetd]") {
  std::string xinetd = findProgram("xinetd");
  if (xinetd.empty()) {
    WARN("skipped: xinetd is not installed (apt-get install xinetd)");
    return;
  }
  // At most 10 connections a second, else the service is closed for 2 s: 128 clients at once exceed it.
  auto target = startXinetd(xinetd, "echo", false, "10 2");
  REQUIRE(target);
  suites::SuiteOptions options;
  options.only = {"echo.concurrent-clients"};
  auto run = suites::runServiceSuite("echo", target->endpoint(), options);
  REQUIRE(run.checks.size() == 1);
  INFO(run.checks[0].message);
  CHECK(run.checks[0].status == Status::Failed);
  CHECK_THAT(run.checks[0].message,
             Catch::Contains("the server turns connections away (a connection rate limit such as xinetd's cps"));
}

}  // namespace
}  // namespace sockspec
