// process::TargetSession, the one server under test of run, fuzz and replay: a URL is probed (stream and
// unix-dgram) or taken as given (UDP) and can never be restarted; a command is started on a free port, its
// {events} log lives in the session's own folder, its end is reported, and nothing of it outlives the session.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "net/endpoint_sockets.h"
#include "net/socket_table.h"
#include "process/target_command.h"
#include "process/target_session.h"
#include "process/tree_supervisor.h"
#include "support/built_programs.h"
#include "support/test_files.h"

using namespace sockspec;
using namespace std::chrono_literals;

namespace {

process::TargetSpec referenceServer(const std::string& extra = "") {
  process::TargetSpec spec;
  spec.command = testing::serverBinary() + " --listen tcp://127.0.0.1:{port} --service echo" + extra;
  spec.eventsLog = true;
  spec.stopGrace = 500ms;
  return spec;
}

// /proc/PID/comm, "" once it is gone.
std::string commandName(pid_t pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

// Whether a process is still there (a zombie counts as gone: it has ended and holds nothing).
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return false;
  auto close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() && text[close + 2] != 'Z';
}

}  // namespace

TEST_CASE("a --target URL is probed when it is a stream, and a refusal names the endpoint and errno") {
  // A port that was free a moment ago: bound, then closed, so nothing listens there.
  auto bound = net::bindEndpoint(*net::parseEndpoint("tcp://127.0.0.1:0"));
  REQUIRE(bound);
  std::string url = "tcp://127.0.0.1:" + std::to_string(bound->local.port);
  bound->fd.reset();
  process::TargetSpec spec;
  spec.url = url;
  auto refused = process::TargetSession::open(spec);
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == "--target unreachable: " + url + ": connect: ECONNREFUSED (Connection refused)");
  spec.url = "tcp://127.0.0.1:99999";
  CHECK(process::TargetSession::open(spec).error().starts_with("--target: endpoint 'tcp://127.0.0.1:99999'"));
}

TEST_CASE("a datagram --target is taken as given, and a server sockspec did not start cannot be restarted") {
  process::TargetSpec spec;
  spec.url = "udp://127.0.0.1:9";
  auto session = process::TargetSession::open(spec);
  REQUIRE(session);
  CHECK_FALSE(session->startedByUs());
  CHECK(session->describe() == "udp://127.0.0.1:9");
  auto restarted = session->restart();
  REQUIRE_FALSE(restarted);
  CHECK(restarted.error() == "udp://127.0.0.1:9 was not started by sockspec and cannot be restarted");
  CHECK_FALSE(session->stop());
  CHECK(session->eventsLogPaths().empty());  // no {events} in its command: no log to check
}

TEST_CASE("a started server writes its {events} log in the session's folder, which goes with the session") {
  std::string eventsPath;
  {
    auto session = process::TargetSession::open(referenceServer(" --events {events}"));
    REQUIRE(session);
    CHECK(session->startedByUs());
    REQUIRE(session->eventsLogPaths().size() == 1);
    eventsPath = session->eventsLogPaths().front();
    CHECK(session->describe().find(eventsPath) != std::string::npos);  // {events} was filled in
    CHECK_FALSE(session->probe());
    CHECK_FALSE(session->stop());  // it was still running: nothing to report
    CHECK(testing::pathExists(eventsPath));  // kept until the session goes, for the lifecycle check
    auto order = session->checkEventsLog(0);
    REQUIRE(order);
    CHECK(order->calls >= 4);  // socket, bind, listen, then accept and close of the probe connection
    CHECK(order->violations.empty());
    // A restarted server writes a log of its own beside the first, which stays.
    REQUIRE(session->restart());
    REQUIRE(session->eventsLogPaths().size() == 2);
    CHECK(session->eventsLogPaths()[1] != eventsPath);
    CHECK(session->describe().find(session->eventsLogPaths()[1]) != std::string::npos);
    (void)session->stop();
    CHECK(testing::pathExists(eventsPath));
    CHECK(testing::pathExists(session->eventsLogPaths()[1]));
  }
  CHECK_FALSE(testing::pathExists(eventsPath));
  CHECK_FALSE(testing::pathExists(std::filesystem::path(eventsPath).parent_path().string()));
}

TEST_CASE("a started server that dies is reported, and restart brings up a fresh one that serves") {
  auto session = process::TargetSession::open(referenceServer());
  REQUIRE(session);
  auto processes = session->processes();
  REQUIRE(processes.size() == 1);  // the server itself: a simple command replaces its shell
  CHECK(commandName(processes.front()) == "sockspec-server");
  REQUIRE(::kill(processes.front(), SIGKILL) == 0);
  auto how = session->endedHow(5s);
  REQUIRE(how);
  CHECK(*how == "killed by SIGKILL");
  REQUIRE(session->restart());
  CHECK_FALSE(session->probe());
  CHECK_FALSE(session->describeExit());
  CHECK(session->endpoint().port != 0);
  auto ended = session->stop();
  CHECK_FALSE(ended);
}

TEST_CASE("a server that daemonizes (setsid -f) is still the session's: it serves, is not 'ended', and stop ends it") {
  process::TargetSpec spec = referenceServer();
  spec.command = "setsid -f " + spec.command;  // setsid forks: the shell's child exits at once, the server lives on
  auto session = process::TargetSession::open(spec);
  REQUIRE(session);
  std::vector<pid_t> servers;
  for (pid_t pid : session->processes()) {
    if (commandName(pid) == "sockspec-server") servers.push_back(pid);
  }
  REQUIRE(servers.size() == 1);
  // In a session of its own, outside the command's process group: signalling that group would miss it.
  CHECK(::getsid(servers.front()) == servers.front());
  CHECK_FALSE(session->describeExit());  // the command's own process has exited; the server has not
  CHECK_FALSE(session->probe());
  (void)session->stop();
  CHECK_FALSE(alive(servers.front()));
  CHECK(session->processes().empty());
}

TEST_CASE("a compound command's server and a daemon it leaves behind are stopped with it") {
  process::TargetSpec spec = referenceServer();
  // A shell that stays (cd ... &&), a server under it, and a sleeper that escapes into its own session.
  spec.command = "cd / && setsid -f sleep 300 && " + spec.command;
  auto session = process::TargetSession::open(spec);
  REQUIRE(session);
  // setsid -f forks and returns at once: its child may not have exec'd sleep yet (its comm still "setsid")
  // when the server already serves. Bounded: 5 s.
  std::vector<pid_t> all;
  std::size_t sleepers = 0;
  for (auto deadline = std::chrono::steady_clock::now() + 5s; sleepers == 0 && std::chrono::steady_clock::now() < deadline;) {
    all = session->processes();
    for (pid_t pid : all) {
      if (commandName(pid) == "sleep") ++sleepers;
    }
    if (sleepers == 0) std::this_thread::sleep_for(5ms);
  }
  CHECK(sleepers == 1);
  CHECK(all.size() >= 3);  // sh, the server, the sleeper
  (void)session->stop();
  for (pid_t pid : all) {
    INFO("pid " << pid);
    CHECK_FALSE(alive(pid));
  }
}

TEST_CASE("once interrupted stop gives the server 300 ms then kills all that ignores SIGTERM and its daemon") {
  // Interrupted before the stop, or during its wait (a server stopped between two checks when Ctrl-C comes).
  bool during = GENERATE(false, true);
  CAPTURE(during);
  process::TargetSpec spec = referenceServer();
  volatile std::sig_atomic_t interrupted = 0;
  spec.stopRequested = &interrupted;
  spec.stopGrace = 60s;  // what stop() gives a server when not interrupted: beyond this test's bound
  // The server stops on SIGTERM; a daemon it left in a session of its own ignores it.
  spec.command = "setsid -f sh -c \"trap '' TERM; exec sleep 300\" && exec " + spec.command;
  auto session = process::TargetSession::open(spec);
  REQUIRE(session);
  std::vector<pid_t> all;
  bool daemonSleeps = false;
  // setsid -f returns before its child has exec'd: bounded, 5 s.
  for (auto deadline = std::chrono::steady_clock::now() + 5s; !daemonSleeps && std::chrono::steady_clock::now() < deadline;) {
    all = session->processes();
    for (pid_t pid : all) daemonSleeps = daemonSleeps || commandName(pid) == "sleep";
    if (!daemonSleeps) std::this_thread::sleep_for(5ms);
  }
  REQUIRE(daemonSleeps);
  if (!during) interrupted = SIGINT;
  // As a signal handler would, from outside the waiting code (a volatile sig_atomic_t, as the handler's).
  std::thread interrupter([&] {
    if (!during) return;
    std::this_thread::sleep_for(300ms);
    interrupted = SIGINT;
  });
  auto started = std::chrono::steady_clock::now();
  (void)session->stop();
  auto took = std::chrono::steady_clock::now() - started;
  interrupter.join();
  INFO("stop took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  // kInterruptedStopGrace after the interrupt, then the supervisor's SIGKILL to all (a bound, far from the
  // 60 s grace).
  CHECK(took < 10s);
  for (pid_t pid : all) {
    INFO("pid " << pid << " (" << commandName(pid) << ")");
    CHECK_FALSE(alive(pid));
  }
}

TEST_CASE("an endpoint served by another program is an error naming it and quoting the command's output") {
  // This test holds the port: the started command is not what a check would reach.
  auto held = net::bindEndpoint(*net::parseEndpoint("tcp://127.0.0.1:0"));
  REQUIRE(held);
  REQUIRE(::listen(held->fd.get(), 8) == 0);
  std::string url = "tcp://127.0.0.1:" + std::to_string(held->local.port);

  SECTION("a command that never binds") {
    process::TargetSpec spec;
    spec.command = "echo starting up; exec sleep 30";
    spec.url = url;
    auto session = process::TargetSession::open(spec);
    REQUIRE_FALSE(session);
    CHECK_THAT(session.error(), Catch::StartsWith(url + " is served by another program (it belongs to pid " +
                                                  std::to_string(::getpid()) + ","));
    CHECK_THAT(session.error(), Catch::Contains("not by the started command 'echo starting up; exec sleep 30'"));
    CHECK_THAT(session.error(), Catch::EndsWith("the command's output: starting up"));
  }
  SECTION("a server whose bind fails: its EADDRINUSE is shown") {
    process::TargetSpec spec = referenceServer();
    spec.url = url;
    spec.command = testing::serverBinary() + " --listen " + url + " --service echo";
    auto session = process::TargetSession::open(spec);
    REQUIRE_FALSE(session);
    CHECK_THAT(session.error(), Catch::Contains("EADDRINUSE"));
  }
}

TEST_CASE("with a fresh server per check, each check after the first gets a restarted one") {
  process::TargetSpec spec = referenceServer();
  spec.freshPerCheck = true;
  auto session = process::TargetSession::open(spec);
  REQUIRE(session);
  CHECK(session->freshPerCheck());
  pid_t first = session->processes().at(0);
  auto endpoint = session->beginCheck();
  REQUIRE(endpoint);
  CHECK(session->processes().at(0) == first);  // the first check gets the server already started
  endpoint = session->beginCheck();
  REQUIRE(endpoint);
  CHECK(session->processes().at(0) != first);
  CHECK_FALSE(alive(first));
  CHECK_FALSE(session->probe());
}

TEST_CASE("a server somebody else runs is never restarted, even when a fresh one per check is asked for") {
  auto bound = net::bindEndpoint(*net::parseEndpoint("tcp://127.0.0.1:0"));
  REQUIRE(bound);
  REQUIRE(::listen(bound->fd.get(), 8) == 0);
  process::TargetSpec spec;
  spec.url = "tcp://127.0.0.1:" + std::to_string(bound->local.port);
  spec.freshPerCheck = true;  // what run plans without --keep-target
  auto session = process::TargetSession::open(spec);
  REQUIRE(session);
  CHECK_FALSE(session->freshPerCheck());
  REQUIRE(session->beginCheck());
  auto second = session->beginCheck();
  INFO((second ? std::string() : second.error()));
  CHECK(second);
}

TEST_CASE("a unix-dgram URL is probed like a stream one: no socket at its path is unreachable") {
  process::TargetSpec spec;
  spec.url = "unix-dgram://" + testing::tempFilePath("no-server", ".sock");
  auto session = process::TargetSession::open(spec);
  REQUIRE_FALSE(session);
  CHECK(session.error() == "--target unreachable: " + spec.url + ": connect: ENOENT (No such file or directory)");
}

TEST_CASE("after a failed check the session says whether the server died or stopped answering") {
  SECTION("a crash") {
    auto session = process::TargetSession::open(referenceServer(" --fault crash-on-bytes"));
    REQUIRE(session);
    auto client = net::connectEndpoint(session->endpoint(), Deadline::after(5s));
    REQUIRE(client);
    REQUIRE(::send(client->get(), "\xde\xad", 2, MSG_NOSIGNAL) == 2);
    char byte = 0;
    CHECK(::recv(client->get(), &byte, 1, 0) <= 0);  // the connection ends with the server
    CHECK(session->troubleAfterCheck() == "died during this check (killed by SIGABRT)");
  }
  SECTION("a listener closed while the process lives") {
    // The server closes its listener after its first accept, which is the session's own probe of it: wait
    // until the kernel's table says the listener is gone.
    auto session = process::TargetSession::open(referenceServer(" --fault close-listener-first"));
    REQUIRE(session);
    Deadline deadline = Deadline::after(5s);
    while (!net::servingSocketInodes(session->endpoint()).empty() && !deadline.expired()) {
      std::this_thread::sleep_for(2ms);
    }
    REQUIRE(net::servingSocketInodes(session->endpoint()).empty());
    auto trouble = session->troubleAfterCheck();
    REQUIRE(trouble);
    CHECK_THAT(*trouble, Catch::StartsWith("stopped answering after this check ("));
    CHECK_THAT(*trouble, Catch::Contains("ECONNREFUSED"));
  }
  SECTION("a server that is well") {
    auto session = process::TargetSession::open(referenceServer());
    REQUIRE(session);
    CHECK_FALSE(session->troubleAfterCheck());
  }
}

TEST_CASE("a chatty server's output is kept bounded, newest last") {
  process::TargetCommandOptions options;
  // 3 MiB of output before the server starts: the file must stay under the supervisor's limit.
  options.command = "head -c 3145728 /dev/zero | tr '\\0' x; echo; echo the newest line; exec " +
                    testing::serverBinary() + " --listen tcp://127.0.0.1:{port} --service echo";
  auto target = process::TargetCommand::start(options);
  REQUIRE(target);
  // The supervisor copies the output into the file as it comes: the server may already serve before its
  // "listening ..." line is in the file (once, on a loaded machine, it was not). Wait for it, bounded.
  const std::string wanted = "xxx\\nthe newest line\\nlistening tcp://127.0.0.1:";
  Deadline deadline = Deadline::after(std::chrono::seconds(10));
  while (target->outputTail(80).find(wanted) == std::string::npos && !deadline.expired()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(target->outputSize() > 0);
  CHECK(target->outputSize() <= process::kOutputLimit + 100);
  // What it printed last before the server's own "listening ..." line.
  CHECK_THAT(target->outputTail(80), Catch::Contains(wanted));
}
