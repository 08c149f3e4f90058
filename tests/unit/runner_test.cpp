// The runner below the command line: one scenario executed in this process (executeScenario), jobs run by
// the scheduler in child processes (runIsolatedJobs: results in job order, skips, a crash-free deadline kill,
// a stop request), and the claims judged from results (judgeClaims). Unix-socket scenarios and
// --isolation none, so nothing here needs privileges or the network.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include "runner/claim_verdicts.h"
#include "runner/isolated_jobs.h"
#include "runner/scenario_execution.h"
#include "scenario/parser.h"
#include "support/built_programs.h"

using namespace sockspec;
using report::Status;

namespace {

scenario::Scenario parsed(const std::string& text) {
  auto result = scenario::parseScenario(text, "t.scn");
  if (!result) FAIL(result.error().front().describe());
  return std::move(*result);
}

// A unix scenario with a listener and one client connected to it (lines 5-9), then `steps` from line 10.
std::string unixScenario(const std::string& id, const std::string& claim, const std::string& steps) {
  return "scenario " + id + "\nfamilies unix\n" + claim + "source \"recv(2)\"\n" +
         "server = socket\nbind server\nlisten server 1\nclient = socket\nconnect client server\n" + steps;
}

const std::string kEcho = unixScenario("t.echo", "claim 2 confirms\n",
                                       "conn = accept server\nsend client \"hello\" -> 5\nrecv conn 16 -> \"hello\"\n");
const std::string kWrong = unixScenario("t.wrong", "claim 2 refutes\n",
                                        "conn = accept server\nsend client \"hello\" -> 5\nrecv conn 2 -> \"hello\"\n");
const std::string kSlow = unixScenario("t.slow", "", "recv client 4 within 30s -> \"none\"\n");

const std::string kNeedsTarget = R"SCN(scenario t.target
families tcp4
requires target
source "connect(2)"
c = socket
connect-target c
)SCN";

std::string workDirectory() {
  std::string path = testing::tempFilePath("runner-work");
  std::filesystem::create_directories(path);
  return path;
}

runner::JobOptions noIsolation() {
  runner::JobOptions options;
  options.isolation = runner::Isolation::None;
  options.parallel = 2;
  return options;
}

// One unix scenario run as a job by the scheduler (in a child process, so a crash is a result, not the end
// of this test program), killed after `deadline`.
report::CheckResult runOneUnixJob(const std::string& text, std::chrono::milliseconds deadline) {
  auto job = parsed(text);
  auto options = noIsolation();
  options.jobDeadline = deadline;
  auto results = runner::runIsolatedJobs({{&job, scenario::Family::Unix}}, options);
  REQUIRE(results.size() == 1);
  return results[0];
}

// A tcp4 scenario (header on lines 1-3, `steps` from line 4) run in this process, over loopback.
report::CheckResult runTcp4(const std::string& steps) {
  auto tcp = parsed("scenario t.tcp\nfamilies tcp4\nsource \"tcp(7)\"\n" + steps);
  return runner::executeScenario(tcp, scenario::Family::Tcp4, workDirectory());
}

// Lines 4-10 of a runTcp4 scenario: a connection (client to conn) with "hello" sent to conn.
const std::string kTcpHello =
    "server = socket\nbind server\nlisten server 1\nclient = socket\nconnect client server\n"
    "conn = accept server\nsend client \"hello\" -> 5\n";

}  // namespace

TEST_CASE("executeScenario runs the steps in this process and names the first step that differs") {
  auto echo = parsed(kEcho);
  auto passed = runner::executeScenario(echo, scenario::Family::Unix, workDirectory());
  CHECK(passed.status == Status::Passed);
  CHECK(passed.id == "t.echo[unix]");
  CHECK(passed.message.empty());

  auto wrong = parsed(kWrong);
  auto failed = runner::executeScenario(wrong, scenario::Family::Unix, workDirectory());
  CHECK(failed.status == Status::Failed);
  CHECK(failed.line == 12);
  CHECK(failed.message == R"(recv conn 2 -> "hello": expected 5 bytes "hello", got 2 bytes "he")");
}

TEST_CASE("runIsolatedJobs gives results in job order whatever order they finish in, skips what cannot run") {
  auto echo = parsed(kEcho);
  auto wrong = parsed(kWrong);
  auto target = parsed(kNeedsTarget);
  std::vector<runner::ScenarioJob> jobs{{&wrong, scenario::Family::Unix},
                                        {&target, scenario::Family::Tcp4},
                                        {&echo, scenario::Family::Unix}};
  std::vector<std::string> finished;
  auto options = noIsolation();
  options.onResult = [&](const report::CheckResult& result) { finished.push_back(result.id); };
  auto results = runner::runIsolatedJobs(jobs, options);
  REQUIRE(results.size() == 3);
  CHECK(results[0].id == "t.wrong[unix]");
  CHECK(results[0].status == Status::Failed);
  CHECK(results[0].message == R"(recv conn 2 -> "hello": expected 5 bytes "hello", got 2 bytes "he")");
  CHECK(results[1].status == Status::Skipped);
  CHECK(results[1].message == "needs a server under test (run --target URL or --target-cmd CMD)");
  CHECK(results[2].status == Status::Passed);
  CHECK(finished.size() == 3);
}

TEST_CASE("runIsolatedJobs kills a job at its deadline and reports it, without waiting for its step") {
  auto slow = parsed(kSlow);
  auto options = noIsolation();
  options.jobDeadline = std::chrono::milliseconds(300);
  auto started = std::chrono::steady_clock::now();
  auto results = runner::runIsolatedJobs({{&slow, scenario::Family::Unix}}, options);
  auto took = std::chrono::steady_clock::now() - started;
  REQUIRE(results.size() == 1);
  CHECK(results[0].status == Status::Failed);
  CHECK(results[0].message == "did not finish within 300 ms and was killed");
  // The step alone would wait 30 s: the job was killed, not waited for.
  CHECK(took < std::chrono::seconds(20));
}

TEST_CASE("within 0ms bounds a blocking call to no wait at all, not to none: EAGAIN at once") {
  // A zero socket timeout means "never" (socket(7)); the step used to block until its job was killed.
  auto result = runOneUnixJob(unixScenario("t.now", "", "recv client 4 within 0ms -> EAGAIN\n"),
                              std::chrono::milliseconds(3000));
  INFO(result.message);
  CHECK(result.status == Status::Passed);
}

TEST_CASE("a name bound by a call that failed is a closed name: later calls on it get EBADF") {
  // accept on a socket that is not listening fails (EINVAL, accept(2)); `conn` used to be left unknown, and
  // the next step on it dereferenced nothing: the job's process died of SIGSEGV.
  auto result = runOneUnixJob(unixScenario("t.failed-accept", "",
                                            "conn = accept client -> EINVAL\nclose conn -> EBADF\n"
                                            "send conn \"x\" -> EBADF\nwait conn readable -> EBADF\n"),
                              std::chrono::milliseconds(5000));
  INFO(result.message);
  CHECK(result.status == Status::Passed);
}

TEST_CASE("recv MSG_TRUNC on TCP shows the count, not the runner's buffer as if the bytes had arrived") {
  // tcp(7): MSG_TRUNC on a TCP socket discards the bytes and returns how many there were; nothing is copied.
  auto result = runTcp4(kTcpHello + "recv conn 16 MSG_TRUNC -> \"hello\"\n");
  CHECK(result.status == Status::Failed);
  CHECK(result.line == 11);
  CHECK(result.message ==
        "recv conn 16 MSG_TRUNC -> \"hello\": expected 5 bytes \"hello\", got 0 bytes \"\" (returned 5, "
        "copied 0); MSG_TRUNC on TCP discards the bytes (tcp(7))");
  auto passed = runTcp4(kTcpHello + "recv conn 16 MSG_TRUNC -> 5\nrecv conn 16 MSG_DONTWAIT -> EAGAIN\n");
  INFO(passed.message);
  CHECK(passed.status == Status::Passed);
}

TEST_CASE("wait writable passes on a refused non-blocking connect: POLLERR, then check error says how") {
  // poll(2) reports POLLERR and POLLHUP unasked; connect(2) waits for writable, then reads SO_ERROR.
  auto result = runTcp4(
      "closed = socket\nbind closed\nc = socket nonblocking\nconnect c closed -> EINPROGRESS\n"
      "wait c writable within 1s\ncheck c error -> ECONNREFUSED\n");
  INFO(result.message);
  CHECK(result.status == Status::Passed);
}

namespace {

// Sends `signal` to every child of this process (found in /proc/PID/stat, whose 4th field is the parent).
void signalChildren(int signal) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    auto afterName = line.rfind(')');  // the command name may hold spaces and parentheses
    if (afterName == std::string::npos) continue;
    char state = 0;
    int parent = 0;
    if (std::sscanf(line.c_str() + afterName + 1, " %c %d", &state, &parent) != 2) continue;
    if (parent == ::getpid()) (void)::kill(std::stoi(name), signal);
  }
}

}  // namespace

TEST_CASE("a job's process that dies of a signal is the runner's failure, named so, with the signal") {
  // What a harness bug in a scenario's process looks like to the scheduler (the failed accept above was one):
  // not a step's verdict, but the runner saying its process ended without a result.
  std::atomic<bool> finished{false};
  std::thread killer([&] {
    // Bounded: until the job's result is in, which its deadline (20 s) ensures.
    while (!finished) {
      signalChildren(SIGBUS);  // a crash signal Catch2 does not handle in the forked child
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  auto result = runOneUnixJob(kSlow, std::chrono::milliseconds(20'000));
  finished = true;
  killer.join();
  CHECK(result.status == Status::Failed);
  CHECK(result.message ==
        "runner: the scenario's process ended (killed by SIGBUS) without a result: a sockspec failure, not "
        "the scenario's verdict");
  CHECK(result.harnessFault);  // the run exits 3 for it (cli/run_command.cpp), not 1
}

TEST_CASE("runIsolatedJobs stops at a stop request and reports every job not run as interrupted") {
  auto slow = parsed(kSlow);
  volatile std::sig_atomic_t stop = 1;
  auto results = runner::runIsolatedJobs({{&slow, scenario::Family::Unix}, {&slow, scenario::Family::Unix}},
                                         noIsolation(), &stop);
  REQUIRE(results.size() == 2);
  for (const auto& result : results) {
    CHECK(result.status == Status::Skipped);
    CHECK(result.message == "not run: interrupted");
  }
}

TEST_CASE("judgeClaims: passing checks decide, failed ones are evidence, no tags give no claims") {
  auto check = [](std::string id, Status status, std::vector<int> claims, std::vector<int> refutes) {
    report::CheckResult result;
    result.id = std::move(id);
    result.status = status;
    result.claims = std::move(claims);
    result.refutes = std::move(refutes);
    return result;
  };
  CHECK(runner::judgeClaims({check("a", Status::Passed, {}, {})}).empty());
  auto claims = runner::judgeClaims({check("confirms", Status::Passed, {2}, {}),
                                     check("refutes", Status::Passed, {2}, {2}),
                                     check("only-refutes", Status::Passed, {3}, {3}),
                                     check("broken", Status::Failed, {4}, {})});
  REQUIRE(claims.size() == 4);
  CHECK(claims[0].verdict == report::ClaimVerdict::Untested);
  CHECK(claims[1].verdict == report::ClaimVerdict::PartlyTrue);
  CHECK(claims[2].verdict == report::ClaimVerdict::Refuted);
  CHECK(claims[3].verdict == report::ClaimVerdict::Untested);
  CHECK(claims[3].evidence.size() == 1);
}
