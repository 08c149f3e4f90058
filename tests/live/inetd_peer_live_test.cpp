// OpenBSD inetd's builtin echo, discard, chargen and daytime as a peer of the service suites: what every
// check says of a real inetd, pinned (docs/service-suites.md, "Real servers, as observed"). Debian's
// openbsd-inetd cannot be installed beside xinetd (xinetd Conflicts with inet-superserver, which it
// Provides), so .ci/setup-debian.sh unpacks its .deb to SOCKSPEC_OPENBSD_INETD's folder instead. Without
// it the cases are skipped, except in CI (CI=true), which always unpacks it: there they fail.
//
// How inetd is made to serve a builtin at a free port: it takes an internal service's port from
// getservbyname(3) of the service's own name (a number in the name field finds no builtin), so each inetd
// runs in a mount namespace of its own (unshare(1)) where a private file is bind-mounted over
// /etc/services, naming the free port. Over AF_UNIX the name field is the socket's path, and must still be
// the service's name: inetd runs in a temp folder and binds the relative path "daytime" there.
#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "base/temp_directory.h"
#include "process/target_command.h"
#include "suites/service_suite.h"
#include "support/built_programs.h"
#include "support/program_run.h"
#include "support/test_files.h"

namespace sockspec {
namespace {

using namespace std::chrono_literals;
using report::RunResult;
using report::Status;

const std::vector<std::string> kServices{"echo", "discard", "chargen", "daytime"};
constexpr int kRuns = 20;

// The unpacked inetd, or nullopt after WARNing the skip (FAILing in CI, which must have it).
std::optional<std::string> inetdOrSkip() {
  const std::string inetd = SOCKSPEC_OPENBSD_INETD;
  if (::access(inetd.c_str(), X_OK) == 0) return inetd;
  const char* ci = std::getenv("CI");
  if (ci != nullptr && std::string(ci) == "true") {
    FAIL(inetd << " is missing in CI: .ci/setup-debian.sh unpacks it");
  }
  WARN("sockspec-test-skipped: OpenBSD inetd is not unpacked at " << inetd << " (bash .ci/setup-debian.sh)");
  return std::nullopt;
}

enum class PeerKind { Inet, UnixStream, UnixDatagram };

// One inetd in the foreground serving the builtin `service`, stopped (SIGTERM, then SIGKILL, reaped with all
// it forked) when this goes out of scope, also when a REQUIRE throws. Inet: over tcp and udp on 127.0.0.1
// and [::1], all at one free port; otherwise over one AF_UNIX socket in the temp folder.
class InetdPeer {
 public:
  // `cpu`: inetd runs on that CPU alone (taskset(1)).
  InetdPeer(const std::string& inetd, const std::string& service, PeerKind kind,
            std::optional<std::size_t> cpu = {}) {
    auto folder = TempDirectory::create("inetd-" + service);
    REQUIRE(folder);
    m_folder.emplace(std::move(*folder));
    const std::string dir = m_folder->path();
    // nowait.100000: inetd allows a forking builtin (echo, discard, chargen) 256 starts a minute by default;
    // past that it drops the connection (IPv4, port >= 1024) or shuts the service for 10 minutes (IPv6).
    // inetd.conf(5); spawn() in inetd.c. -i keeps it in the foreground as deployed (-d would too, but it
    // writes a line to stderr for each connection, which slows its accept-write-close enough to hide races).
    std::string config;
    process::TargetCommandOptions options;
    if (kind == PeerKind::Inet) {
      auto any = net::parseEndpoint("tcp://127.0.0.1:0");
      REQUIRE(any);
      auto port = process::pickFreePort(*any);
      REQUIRE(port);
      m_port = *port;
      testing::writeFileOrFail(dir + "/services", fmt::format("{0} {1}/tcp\n{0} {1}/udp\n", service, *port));
      // inetd binds its sockets in the file's order, and the start waits for tcp://127.0.0.1 alone: that line
      // comes last, so the others are bound by then (a first udp6 datagram drew ECONNREFUSED before).
      for (auto [host, proto] : {std::pair{"127.0.0.1", "udp4"}, {"[::1]", "udp6"}}) {
        config += fmt::format("{}:{} dgram {} wait root internal\n", host, service, proto);
      }
      for (auto [host, proto] : {std::pair{"[::1]", "tcp6"}, {"127.0.0.1", "tcp4"}}) {
        config += fmt::format("{}:{} stream {} nowait.100000 root internal\n", host, service, proto);
      }
      // As root, a mount namespace; otherwise a user namespace too, in which we are root (and so is inetd).
      std::string mapRoot = ::geteuid() == 0 ? "" : "--map-root-user ";
      options.targetUrl = fmt::format("tcp://127.0.0.1:{}", *port);
      options.command = fmt::format(
          "exec unshare --mount --propagation private {}sh -c \"mount --bind '{}/services' /etc/services && "
          "exec '{}' -i '{}/inetd.conf'\"",
          mapRoot, dir, inetd, dir);
    } else {
      bool stream = kind == PeerKind::UnixStream;
      config = fmt::format("{} {} unix {} root internal\n", service, stream ? "stream" : "dgram",
                           stream ? "nowait.100000" : "wait");
      options.targetUrl = fmt::format("{}://{}/{}", stream ? "unix" : "unix-dgram", dir, service);
      std::string pin = cpu ? fmt::format("taskset -c {} ", *cpu) : "";
      options.command = fmt::format("cd '{}' && exec {}'{}' -i '{}/inetd.conf'", dir, pin, inetd, dir);
    }
    testing::writeFileOrFail(dir + "/inetd.conf", config);
    auto started = process::TargetCommand::start(options);
    INFO("inetd.conf:\n" << config);
    REQUIRE(started);
    m_command.emplace(std::move(*started));
  }

  // tcp://127.0.0.1:P, tcp://[::1]:P, udp://127.0.0.1:P, udp://[::1]:P (Inet); the one unix socket otherwise.
  net::Endpoint endpoint(const std::string& scheme = "", const std::string& host = "") const {
    if (scheme.empty()) return m_command->endpoint();
    auto parsed = net::parseEndpoint(fmt::format("{}://{}:{}", scheme, host, m_port));
    REQUIRE(parsed);
    return *parsed;
  }
  process::TargetCommand& command() { return *m_command; }

 private:
  std::optional<TempDirectory> m_folder;  // outlives the command: inetd runs in it
  std::optional<process::TargetCommand> m_command;
  std::uint16_t m_port = 0;
};

std::string describeChecks(const RunResult& run) {
  std::string text;
  for (const auto& check : run.checks) {
    text += fmt::format("{} [{}] {}: {}\n", check.id, check.family, report::statusName(check.status),
                        check.message);
  }
  return text;
}

// Every check of `run` passed, but those named in `failures`, which failed with a message containing the
// text.
void requireVerdicts(const RunResult& run, std::size_t checks,
                     const std::vector<std::pair<std::string, std::string>>& failures = {}) {
  INFO(describeChecks(run));
  REQUIRE(run.checks.size() == checks);
  for (const auto& check : run.checks) {
    CAPTURE(check.id, check.family);
    auto failure =
        std::find_if(failures.begin(), failures.end(), [&](const auto& f) { return f.first == check.id; });
    if (failure == failures.end()) {
      CHECK(check.status == Status::Passed);
    } else {
      CHECK(check.status == Status::Failed);
      CHECK_THAT(check.message, Catch::Contains(failure->second));
    }
  }
}

std::size_t checkCount(const std::string& service, bool stream) {
  if (service == "echo") return stream ? 8 : 7;
  if (service == "discard") return stream ? 4 : 1;
  if (service == "chargen") return stream ? 5 : 3;
  return stream ? 4 : 3;  // daytime
}

const std::pair<std::string, std::string> kDaytimeReset{
    "daytime.ignores-input",
    "sent \"what time is it?\\r\\n\" first: the connection was reset (recv: ECONNRESET"};

// The checks of `service` that fail against inetd over tcp, tcp6 and unix (`stream`) or over udp6, each with
// a text its message holds; every other check passes.
std::vector<std::pair<std::string, std::string>> expectedFailures(const std::string& service, bool stream) {
  if (stream && service == "daytime") return {kDaytimeReset};
  // echo_dg() receives into a 4096-byte buffer (BUFSIZE in inetd.c) and sends back what it got.
  if (!stream && service == "echo") return {{"echo.datagram-max", "got 4096 bytes"}};
  return {};
}

TEST_CASE(
    "OpenBSD inetd over tcp, tcp6, unix and udp6: every check passes but daytime.ignores-input and "
    "echo.datagram-max",
    "[live][inetd]") {
  auto inetd = inetdOrSkip();
  if (!inetd) return;
  for (const auto& service : kServices) {
    InetdPeer inet(*inetd, service, PeerKind::Inet);
    InetdPeer local(*inetd, service, PeerKind::UnixStream);
    for (const auto& target :
         {inet.endpoint("tcp", "127.0.0.1"), inet.endpoint("tcp", "[::1]"), local.endpoint()}) {
      requireVerdicts(suites::runServiceSuite(service, target), checkCount(service, true),
                      expectedFailures(service, true));
    }
    requireVerdicts(suites::runServiceSuite(service, inet.endpoint("udp", "[::1]")),
                    checkCount(service, false), expectedFailures(service, false));
  }
}

TEST_CASE("OpenBSD inetd's chargen is the recommended pattern, starting at the space", "[live][inetd]") {
  auto inetd = inetdOrSkip();
  if (!inetd) return;
  InetdPeer inet(*inetd, "chargen", PeerKind::Inet);
  suites::SuiteOptions options;
  options.only = {"chargen.pattern"};
  auto run = suites::runServiceSuite("chargen", inet.endpoint("tcp", "127.0.0.1"), options);
  INFO(describeChecks(run));
  REQUIRE(run.checks.size() == 1);
  CHECK(run.checks[0].status == Status::Passed);
  CHECK(run.checks[0].message.empty());  // no note: it is the RFC 864 pattern
}

TEST_CASE("OpenBSD inetd answers no datagram from 127.0.0.0/8 or from AF_UNIX", "[live][inetd]") {
  // dg_badinput() in inetd.c drops datagrams from 0/8, 127/8, 255/8, multicast, broadcast and any family but
  // AF_INET and AF_INET6 unanswered: a loop breaker against spoofed sources (echo to chargen and back).
  auto inetd = inetdOrSkip();
  if (!inetd) return;
  suites::SuiteOptions options;
  options.checkTimeout = 300ms;
  for (const auto& service : kServices) {
    InetdPeer inet(*inetd, service, PeerKind::Inet);
    InetdPeer local(*inetd, service, PeerKind::UnixDatagram);
    for (const auto& target : {inet.endpoint("udp", "127.0.0.1"), local.endpoint()}) {
      auto run = suites::runServiceSuite(service, target, options);
      INFO(describeChecks(run));
      REQUIRE(run.checks.size() == checkCount(service, false));
      for (const auto& check : run.checks) {
        CAPTURE(check.id, check.family);
        if (service == "discard") {
          CHECK(check.status == Status::Passed);  // silence is what discard owes
        } else {
          CHECK(check.status == Status::Failed);
          // A burst can fill the unix-dgram queue when inetd, which reads and drops each datagram, is slow
          // (1 run in 10): the sender then waits for room until the deadline.
          CHECK_THAT(check.message, Catch::Contains("no reply within 300 ms") ||
                                        Catch::Contains("send: no buffer space before the deadline"));
        }
      }
    }
  }
}

TEST_CASE("daytime.ignores-input catches OpenBSD inetd's builtin daytime, 20 runs of 20",
          "[live][inetd][daytime]") {
  // inetd's daytime_stream() writes the line and inetd closes the connection at once, never reading: input
  // already there when it closes makes the close an RST (tcp_close(): data_was_unread). The check gets its
  // input there first every time (the request rides on the handshake's ACK), so it must see the RST every
  // time.
  auto inetd = inetdOrSkip();
  if (!inetd) return;
  InetdPeer inet(*inetd, "daytime", PeerKind::Inet);
  InetdPeer local(*inetd, "daytime", PeerKind::UnixStream);
  suites::SuiteOptions options;
  options.only = {"daytime.ignores-input"};
  for (const auto& target :
       {inet.endpoint("tcp", "127.0.0.1"), inet.endpoint("tcp", "[::1]"), local.endpoint()}) {
    for (int i = 1; i <= kRuns; ++i) {
      auto run = suites::runServiceSuite("daytime", target, options);
      INFO(describeChecks(run) << "run " << i << " of " << kRuns);
      REQUIRE(run.checks.size() == 1);
      REQUIRE(run.checks[0].status == Status::Failed);
      CHECK_THAT(run.checks[0].message, Catch::Contains(kDaytimeReset.second));
    }
  }
}

// Over AF_UNIX connect() wakes inetd's accept(). With both on one CPU and the check at nice 19, the woken
// inetd preempts the check at once and accepts, writes and closes before the check's send (EPIPE): 64
// attempts of 64 lost, 20 runs of 20, before the check raised itself to SCHED_FIFO for its connect and send
// (realtime_window.h). Needs the privilege to (root in CI); without it the check can only say it was skipped.
TEST_CASE(
    "daytime.ignores-input gets its request to OpenBSD inetd over AF_UNIX from nice 19 on inetd's CPU, "
    "20 runs of 20",
    "[live][inetd][daytime]") {
  auto inetd = inetdOrSkip();
  if (!inetd) return;
  if (::geteuid() != 0) {
    WARN("sockspec-test-skipped: needs root (SCHED_FIFO for the check, sched(7))");
    return;
  }
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  REQUIRE(::sched_getaffinity(0, sizeof allowed, &allowed) == 0);
  std::size_t cpu = 0;
  while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &allowed)) ++cpu;  // Bounded: CPU_SETSIZE
  REQUIRE(cpu < CPU_SETSIZE);
  InetdPeer local(*inetd, "daytime", PeerKind::UnixStream, cpu);
  for (int i = 1; i <= kRuns; ++i) {
    auto run = testing::runProgram({"/usr/bin/taskset", "-c", std::to_string(cpu), "/usr/bin/nice", "-n",
                                    "19", testing::sockspecBinary(), "run", "--suite", "daytime", "--target",
                                    local.endpoint().toString(), "--filter", "daytime.ignores-input",
                                    "--color", "never"});
    INFO("run " << i << " of " << kRuns << ": " << run.out << run.describe());
    REQUIRE(run.status);
    REQUIRE_THAT(run.out, Catch::Contains("FAIL  daytime.ignores-input"));
    CHECK_THAT(run.out, Catch::Contains(kDaytimeReset.second));
  }
}

TEST_CASE("a stopped inetd peer leaves no process behind", "[live][inetd]") {
  auto inetd = inetdOrSkip();
  if (!inetd) return;
  std::vector<pid_t> processes;
  {
    InetdPeer inet(*inetd, "echo", PeerKind::Inet);
    // An echo connection forks a child of inetd; the peer must stop it too.
    suites::SuiteOptions options;
    options.only = {"echo.concurrent-clients"};
    auto run = suites::runServiceSuite("echo", inet.endpoint("tcp", "127.0.0.1"), options);
    REQUIRE(run.checks.size() == 1);
    processes = inet.command().processes();
    REQUIRE_FALSE(processes.empty());
  }
  for (pid_t pid : processes) {
    CAPTURE(pid);
    CHECK(::kill(pid, 0) == -1);
    CHECK(errno == ESRCH);
  }
}

}  // namespace
}  // namespace sockspec
