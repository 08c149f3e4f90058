// process/process_activity.h: the /proc fields it reads, and whether real processes are at rest: one
// blocked reading a FIFO is; one spinning, one in nanosleep, and a shell whose child sleeps are not.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "process/child_process.h"
#include "process/process_activity.h"
#include "process/process_tree.h"
#include "support/built_programs.h"

using namespace sockspec;

namespace {

std::string wchanOf(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/wchan");
  std::string text;
  std::getline(file, text);
  return text;
}

// Waits (bounded: 10 s) until the process is asleep in `wchan`; false if it never is.
bool waitForWchan(pid_t pid, const std::string& wchan) {
  for (int i = 0; i < 2000; ++i) {
    if (wchanOf(pid) == wchan) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace

TEST_CASE("process activity: the state, the timeslices and the timed sleeps are read from /proc's texts", "[unit]") {
  CHECK(process::stateOfStat("42 (srv) S 1 42 42 0") == 'S');
  CHECK(process::stateOfStat("42 (a) R b) R 1 42") == 'R');  // the comm may hold ") R"
  CHECK(process::stateOfStat("42 (srv)") == std::nullopt);
  CHECK(process::stateOfStat("42 (srv)S 1") == std::nullopt);
  CHECK(process::stateOfStat("") == std::nullopt);
  CHECK(process::timeslicesOfSchedstat("1339402 48122 17\n") == 17u);
  CHECK(process::timeslicesOfSchedstat("1339402 48122") == std::nullopt);
  CHECK(process::timeslicesOfSchedstat("1 2 x") == std::nullopt);
  CHECK(process::isTimedSleep("hrtimer_nanosleep"));
  CHECK(process::isTimedSleep("do_nanosleep"));
  CHECK_FALSE(process::isTimedSleep("ep_poll"));
  CHECK_FALSE(process::isTimedSleep("wait_woken"));
  CHECK(process::isTimedSleep(""));   // no answer is no proof of a wait for input
  CHECK(process::isTimedSleep("0"));
}

TEST_CASE("process activity: a process blocked reading is at rest, one spinning or sleeping is not", "[unit]") {
  SECTION("blocked reading a FIFO: at rest, and its timeslices stand still") {
    std::string fifo = testing::tempFilePath("activity-fifo");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // Opened for reading and writing, the FIFO never blocks the open and never gives EOF: read waits for ever.
    auto child = process::ChildProcess::spawn({"/bin/sh", "-c", "exec 3<>" + fifo + "; read line <&3"});
    REQUIRE(child.ok());
    process::Activity first;
    for (int i = 0; i < 2000 && !first.atRest; ++i) {  // bounded: 10 s for the shell to reach its read
      first = process::readActivity(child->pid());
      if (!first.atRest) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    REQUIRE(first.atRest);
    CHECK(first.threads == 1);
    CHECK(first.timeslices > 0);
    auto second = process::readActivity(child->pid());
    CHECK(second.atRest);
    CHECK(second.timeslices == first.timeslices);
    child->terminate();
  }
  SECTION("spinning: runnable, never at rest") {
    auto child = process::ChildProcess::spawn({"/bin/sh", "-c", "while :; do :; done"});
    REQUIRE(child.ok());
    for (int i = 0; i < 20; ++i) CHECK_FALSE(process::readActivity(child->pid()).atRest);
    child->terminate();
  }
  SECTION("in nanosleep: it goes on by itself, so not at rest") {
    auto child = process::ChildProcess::spawn({"/bin/sleep", "30"});
    REQUIRE(child.ok());
    REQUIRE(waitForWchan(child->pid(), "hrtimer_nanosleep"));
    CHECK_FALSE(process::readActivity(child->pid()).atRest);
    child->terminate();
  }
  SECTION("a shell waiting for its sleeping child: the child is read too") {
    auto child = process::ChildProcess::spawn({"/bin/sh", "-c", "sleep 30 & wait"});
    REQUIRE(child.ok());
    std::vector<pid_t> children;
    for (int i = 0; i < 2000 && children.empty(); ++i) {  // bounded: 10 s for the shell to fork
      children = process::childrenOf(child->pid());
      if (children.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    REQUIRE(children.size() == 1);
    REQUIRE(waitForWchan(children[0], "hrtimer_nanosleep"));
    // The shell asleep in its wait (sigsuspend or wait4) is at rest by itself, not with its child; until it
    // gets there the walk stops at the shell (one thread read).
    process::Activity activity;
    for (int i = 0; i < 2000 && activity.threads != 2; ++i) {  // bounded: 10 s
      activity = process::readActivity(child->pid());
      if (activity.threads != 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    CHECK_FALSE(activity.atRest);
    CHECK(activity.threads == 2);  // stopped at the child, the second thread read
    child->terminate();
  }
  SECTION("a process that is gone: at rest, nothing read") {
    auto gone = process::readActivity(-1);
    CHECK(gone.atRest);
    CHECK(gone.threads == 0);
  }
}

TEST_CASE("process activity: the thread count from stat, and threads that come and go between reads are seen",
          "[unit]") {
  // Field 20 of proc(5); the comm may hold spaces and ')'.
  CHECK(process::threadsOfStat("42 (srv) S 1 42 42 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 7 0 12345 1000 200") == 7u);
  CHECK(process::threadsOfStat("42 (a ) b) S 1 42 42 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 3 0 1") == 3u);
  CHECK(process::threadsOfStat("42 (srv) S 1 42 42 0") == std::nullopt);
  CHECK(process::threadsOfStat("42 srv S 1") == std::nullopt);
  CHECK(process::threadsOfStat("") == std::nullopt);

  // This process, read whole: its threads are listed once and kept while its stat counts as many; a thread
  // started, or ended, between two reads is in, or out of, the next read.
  process::ActivityWatch watch(::getpid());
  std::size_t before = watch.read(true).threads;
  REQUIRE(before >= 1);
  int pipeFds[2];
  REQUIRE(::pipe(pipeFds) == 0);
  std::thread blocked([fd = pipeFds[0]] {
    char byte = 0;
    (void)::read(fd, &byte, 1);
  });
  CHECK(watch.read(true).threads == before + 1);
  CHECK(watch.read(true).threads == before + 1);  // from the kept list
  (void)::write(pipeFds[1], "x", 1);
  blocked.join();
  CHECK(watch.read(true).threads == before);
  ::close(pipeFds[0]);
  ::close(pipeFds[1]);
}
