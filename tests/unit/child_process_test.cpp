// ChildProcess with real programs (sh, sleep, printf, head): exec failures named, exit codes and signals
// reported, stubborn programs stopped, and nothing left running afterwards.
#include "process/child_process.h"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "base/errno_names.h"
#include "process/process_tree.h"
#include "support/built_programs.h"

namespace sockspec {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using process::ChildProcess;
using process::SpawnOptions;

// "ESRCH" once `pid` is gone (and reaped); "running" while kill(pid, 0) still reaches it.
std::string signalProbe(pid_t pid) {
  if (::kill(pid, 0) == 0) return "running";
  return errnoName(errno);
}

// The processes of group `pgid` that are still running (zombies waiting for another reaper do not count),
// found through /proc/PID/stat: "pid (comm) state ppid pgrp ...".
std::vector<pid_t> runningInGroup(pid_t pgid) {
  std::vector<pid_t> running;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return running;
  while (dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0') continue;
    std::ifstream file(std::string("/proc/") + entry->d_name + "/stat");
    // getline, not istreambuf_iterator: a process that exits between the open and the read fails the read
    // with ESRCH, which the iterator throws (seen once in CI) and getline turns into an empty line: skipped.
    std::string stat;
    std::getline(file, stat);
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 1));
    char state = '?';
    long parent = 0;
    long group = 0;
    fields >> state >> parent >> group;
    if (group == pgid && state != 'Z' && state != 'X') running.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(proc);
  return running;
}

// Polls `done` until it holds or `deadline` passes; returns its last value.
template <typename F>
bool eventually(F done, Deadline deadline) {
  while (!done()) {
    if (deadline.expired()) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

ChildProcess spawnOrFail(const std::vector<std::string>& argv, const SpawnOptions& options = {}) {
  auto child = ChildProcess::spawn(argv, options);
  if (!child) FAIL(child.error());
  return std::move(*child);
}

long long millisecondsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

TEST_CASE("spawning a program that does not exist fails with a message naming it and ENOENT",
          "[child_process][spawn]") {
  auto program = GENERATE(as<std::string>{}, "/nonexistent/sockspec-no-such-program",
                          "sockspec-no-such-program-on-path");
  auto child = ChildProcess::spawn({program, "--flag"});
  REQUIRE_FALSE(child);
  CHECK(child.error() == program + ": exec: ENOENT (No such file or directory)");
}

TEST_CASE("spawning a file that is not executable fails with EACCES", "[child_process][spawn]") {
  std::string path = testing::tempSocketPath("not-executable");
  std::ofstream(path) << "#!/bin/sh\nexit 0\n";
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  auto child = ChildProcess::spawn({path});
  REQUIRE_FALSE(child);
  CHECK(child.error() == path + ": exec: EACCES (Permission denied)");
}

TEST_CASE("spawning an empty command fails", "[child_process][spawn]") {
  auto child = ChildProcess::spawn({});
  REQUIRE_FALSE(child);
  CHECK(child.error() == "spawn: empty command");
}

TEST_CASE("wait reports a program's exit code", "[child_process][wait]") {
  auto code = GENERATE(0, 1, 7, 255);
  auto child = spawnOrFail({"sh", "-c", "exit " + std::to_string(code)});
  auto status = child.wait(Deadline::after(10s));
  REQUIRE(status);
  CHECK(status->exited);
  CHECK(status->code == code);
  CHECK(status->signal == 0);
  CHECK(status->describe() == "exit " + std::to_string(code));
  CHECK(child.hasExited());
  CHECK(signalProbe(child.pid()) == "ESRCH");
}

TEST_CASE("wait reports the signal that killed a program", "[child_process][wait]") {
  auto child = spawnOrFail({"sh", "-c", "kill -USR1 $$; sleep 30"});
  auto status = child.wait(Deadline::after(10s));
  REQUIRE(status);
  CHECK_FALSE(status->exited);
  CHECK(status->signal == SIGUSR1);
  CHECK(status->describe() == "killed by SIGUSR1");
  // The status is kept: asking again gives the same answer without waiting.
  CHECK(child.wait(Deadline::after(0ms)) == status);
}

TEST_CASE("terminate ends a program that ignores SIGTERM with SIGKILL after the grace period",
          "[child_process][terminate]") {
  // Sleeping in the foreground, or waiting for a background sleep that inherits the ignored SIGTERM.
  auto script = GENERATE(as<std::string>{}, "trap '' TERM; echo ready; sleep 30",
                         "trap '' TERM; sleep 30 & echo ready; wait");
  CAPTURE(script);
  auto child = spawnOrFail({"sh", "-c", script});
  // Only once the trap is set does SIGTERM meet a program that ignores it.
  REQUIRE(child.readLine(Deadline::after(10s)) == std::optional<std::string>("ready"));
  pid_t pid = child.pid();
  CHECK(runningInGroup(pid).size() >= 1);

  const auto grace = 300ms;
  auto start = Clock::now();
  auto status = child.terminate(grace);
  auto tookMs = millisecondsSince(start);
  INFO("terminate took " << tookMs << " ms");
  CHECK(status.describe() == "killed by SIGKILL");
  CHECK(tookMs >= grace.count() - 10);   // SIGTERM did nothing, so the whole grace period passed
  CHECK(tookMs < grace.count() + 5000);  // and then SIGKILL ended it (a bound, not a speed test)
  CHECK(child.hasExited());
  CHECK(signalProbe(pid) == "ESRCH");
  // The sleep in the shell's process group went too.
  CHECK(eventually([&] { return runningInGroup(pid).empty(); }, Deadline::after(5s)));
}

TEST_CASE("terminate stops a program that honours SIGTERM without waiting out the grace period",
          "[child_process][terminate]") {
  auto child = spawnOrFail({"sleep", "30"});
  pid_t pid = child.pid();
  auto start = Clock::now();
  auto status = child.terminate(std::chrono::milliseconds(10000));
  CHECK(status.describe() == "killed by SIGTERM");
  CHECK(millisecondsSince(start) < 5000);
  CHECK(signalProbe(pid) == "ESRCH");
  // Once it has ended, terminate only reports how.
  CHECK(child.terminate().describe() == "killed by SIGTERM");
}

TEST_CASE("terminate of a supervised tree: after the grace the supervisor kills the whole tree and its daemon",
          "[child_process][terminate]") {
  SpawnOptions options;
  options.superviseTree = true;
  options.treeGrace = 60s;  // the supervisor's own SIGKILL comes far too late to be what ends them
  // A shell that ignores SIGTERM, a sleep it waits for and one it daemonized into a session of its own
  // (both inherit the ignored SIGTERM): signalling the supervisor alone, or the command's group, misses one.
  auto child = spawnOrFail({"sh", "-c", "trap '' TERM; setsid -f sleep 300; sleep 300"}, options);
  std::vector<pid_t> tree;
  auto sleepers = [&] {
    tree = process::descendantsOf(child.pid());
    std::size_t count = 0;
    for (pid_t pid : tree) {
      std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
      std::string name;
      std::getline(comm, name);
      if (name == "sleep") ++count;
    }
    return count == 2;
  };
  REQUIRE(eventually(sleepers, Deadline::after(10s)));
  auto start = Clock::now();
  auto status = child.terminate(300ms);
  auto tookMs = millisecondsSince(start);
  INFO("terminate took " << tookMs << " ms");
  CHECK(tookMs < 10000);  // its grace, then the tree kill (kTreeKillWait): far from the supervisor's minute
  CHECK(status.describe() == "killed by SIGKILL");  // the supervisor ends as the last of them did
  for (pid_t pid : tree) {
    INFO("pid " << pid);
    CHECK(eventually([&] { return signalProbe(pid) == "ESRCH" || process::isExiting(pid); }, Deadline::after(5s)));
  }
}

TEST_CASE("readLine returns nullopt at the deadline when nothing is printed", "[child_process][readLine]") {
  pid_t pid = -1;
  {
    auto child = spawnOrFail({"sleep", "30"});
    pid = child.pid();
    auto start = Clock::now();
    auto line = child.readLine(Deadline::after(200ms));
    auto tookMs = millisecondsSince(start);
    CHECK_FALSE(line.has_value());
    CHECK(tookMs >= 190);
    CHECK(tookMs < 200 + 2000);
    CHECK_FALSE(child.wait(Deadline::after(0ms)).has_value());  // still running: only the read timed out
    CHECK(signalProbe(pid) == "running");
  }
  // The destructor stopped and reaped it.
  CHECK(signalProbe(pid) == "ESRCH");
  CHECK(runningInGroup(pid).empty());
}

TEST_CASE("readLine returns lines without their newline, then nullopt at EOF", "[child_process][readLine]") {
  auto child = spawnOrFail({"printf", "one\\ntwo\\n\\nlast"});
  auto deadline = Deadline::after(10s);
  CHECK(child.readLine(deadline) == std::optional<std::string>("one"));
  CHECK(child.readLine(deadline) == std::optional<std::string>("two"));
  CHECK(child.readLine(deadline) == std::optional<std::string>(""));
  auto start = Clock::now();
  CHECK_FALSE(child.readLine(deadline).has_value());
  CHECK(millisecondsSince(start) < 5000);  // EOF ends the read, not the deadline
  // A last line without a newline is not lost: it is what remains to be read.
  CHECK(child.readAllStdout(deadline) == "last");
  auto status = child.wait(deadline);
  REQUIRE(status);
  CHECK(status->describe() == "exit 0");
}

TEST_CASE("a child reads what is written to its stdin pipe", "[child_process][stdin]") {
  SpawnOptions options;
  options.pipeStdin = true;
  auto child = spawnOrFail({"cat"}, options);
  REQUIRE(child.stdinFd() >= 0);
  std::string text = "hello\n";
  REQUIRE(::write(child.stdinFd(), text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  CHECK(child.readLine(Deadline::after(10s)) == std::optional<std::string>("hello"));
  child.closeStdin();  // cat sees EOF and exits
  auto status = child.wait(Deadline::after(10s));
  REQUIRE(status);
  CHECK(status->describe() == "exit 0");
}

TEST_CASE("without a stdin pipe a child reads /dev/null", "[child_process][stdin]") {
  auto child = spawnOrFail({"cat"});
  CHECK(child.stdinFd() == -1);
  auto status = child.wait(Deadline::after(10s));
  REQUIRE(status);
  CHECK(status->describe() == "exit 0");
}

TEST_CASE("captured stderr is read separately from stdout", "[child_process][stderr]") {
  SpawnOptions options;
  options.captureStderr = true;
  auto child = spawnOrFail({"sh", "-c", "echo out; echo oops >&2; exit 3"}, options);
  auto deadline = Deadline::after(10s);
  CHECK(child.readAllStderr(deadline) == "oops\n");
  CHECK(child.readAllStdout(deadline) == "out\n");
  auto status = child.wait(deadline);
  REQUIRE(status);
  CHECK(status->describe() == "exit 3");
}

TEST_CASE("moving a ChildProcess moves the ownership of the program", "[child_process][move]") {
  auto first = spawnOrFail({"sleep", "30"});
  pid_t firstPid = first.pid();
  SECTION("move construction") {
    {
      ChildProcess owner = std::move(first);
      CHECK(first.pid() == -1);
      CHECK(owner.pid() == firstPid);
      CHECK(signalProbe(firstPid) == "running");
    }
    CHECK(signalProbe(firstPid) == "ESRCH");
  }
  SECTION("move assignment stops the program the target owned") {
    auto second = spawnOrFail({"sleep", "30"});
    pid_t secondPid = second.pid();
    second = std::move(first);
    CHECK(signalProbe(secondPid) == "ESRCH");
    CHECK(second.pid() == firstPid);
    CHECK(signalProbe(firstPid) == "running");
    CHECK(second.terminate().describe() == "killed by SIGTERM");
    CHECK(signalProbe(firstPid) == "ESRCH");
  }
}

TEST_CASE("a child dies with the process that started it", "[child_process][pdeathsig]") {
  // An intermediate process starts `sleep 30`, reports its pid and ends without running any destructor:
  // PR_SET_PDEATHSIG must still take the sleep down.
  int pipeFds[2];
  REQUIRE(::pipe(pipeFds) == 0);
  pid_t intermediate = ::fork();
  REQUIRE(intermediate >= 0);
  if (intermediate == 0) {
    auto child = ChildProcess::spawn({"sleep", "30"});
    pid_t pid = child ? child->pid() : -1;
    (void)!::write(pipeFds[1], &pid, sizeof(pid));
    ::_exit(0);
  }
  ::close(pipeFds[1]);
  pid_t sleeper = -1;
  pollfd entry{pipeFds[0], POLLIN, 0};
  REQUIRE(::poll(&entry, 1, 10000) == 1);
  REQUIRE(::read(pipeFds[0], &sleeper, sizeof(sleeper)) == static_cast<ssize_t>(sizeof(sleeper)));
  ::close(pipeFds[0]);
  int status = 0;
  REQUIRE(eventually([&] { return ::waitpid(intermediate, &status, WNOHANG) == intermediate; },
                     Deadline::after(10s)));
  REQUIRE(sleeper > 0);
  CHECK(eventually([&] { return runningInGroup(sleeper).empty(); }, Deadline::after(5s)));
}

TEST_CASE("fork runs a function in a child of its own group and reports what it returned", "[child_process][fork]") {
  auto child = ChildProcess::fork([] { return ::getpgid(0) == ::getpid() ? 7 : 8; }, "test");
  REQUIRE(child);
  auto status = child->wait(Deadline::after(10s));
  REQUIRE(status);
  CHECK(status->exited);
  CHECK(status->code == 7);  // 8 would mean it shares our process group
}

TEST_CASE("a forked function that throws exits 3, and kill ends one that would run on", "[child_process][fork]") {
  auto throws = ChildProcess::fork([]() -> int { throw std::runtime_error("no"); }, "test");
  REQUIRE(throws);
  auto status = throws->wait(Deadline::after(10s));
  REQUIRE(status);
  CHECK(status->exited);
  CHECK(status->code == 3);

  auto sleeps = ChildProcess::fork([] {
    std::this_thread::sleep_for(30s);
    return 0;
  }, "test");
  REQUIRE(sleeps);
  auto started = Clock::now();
  auto killed = sleeps->kill();
  CHECK_FALSE(killed.exited);
  CHECK(killed.signal == SIGKILL);
  CHECK(Clock::now() - started < 10s);
  CHECK(sleeps->hasExited());
}

}  // namespace
}  // namespace sockspec
