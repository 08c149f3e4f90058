// Runs scenario jobs (one scenario over one family each) in child processes, several at once: each child
// enters its own network namespace when it can (root), sets the scenario's sysctls there, executes the
// scenario and sends its result back through a pipe. A child that crashes or outlives its deadline is
// killed and reported as a failure; Ctrl-C in the parent kills every child. Nothing is left behind.
#pragma once

#include <chrono>
#include <csignal>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "net/sock_addr.h"
#include "report/run_result.h"
#include "runner/privilege_drop.h"
#include "scenario/scenario.h"

namespace sockspec::runner {

struct ScenarioJob {
  const scenario::Scenario* scenario = nullptr;
  scenario::Family family = scenario::Family::Tcp4;
};

enum class Isolation {
  Auto,       // a network namespace per scenario when privileged, else the shared stack (distinct ports)
  Namespace,  // always (fails the jobs when it cannot)
  None,       // never
};

// run --target/--target-cmd with scenario files: the server under test, for the scenarios that say
// `requires target` (connect-target). They run in the host's network stack, where the server is, and only
// over its family; without a target they are skipped.
struct TargetUnderTest {
  net::SockAddr address;
  scenario::Family family = scenario::Family::Tcp4;
  std::string description;  // "tcp://127.0.0.1:41234", for skip reasons
};

struct JobOptions {
  std::size_t parallel = 2;
  Isolation isolation = Isolation::Auto;
  std::chrono::milliseconds jobDeadline{30'000};
  // run --capture DIR: each job writes DIR/<scenario-id>.<family>.pcap, captured on lo inside its own
  // network namespace (so needs the namespace isolation; otherwise nothing is captured).
  std::string captureDirectory;
  // run --user NAME (root only): after their privileged set-up, jobs switch to this user, and their work
  // directories are made its own.
  std::optional<RunAs> runAs;
  std::optional<TargetUnderTest> target;
  // Called in the parent, in completion order, as each job finishes.
  std::function<void(const report::CheckResult&)> onResult;
};

// Results in the order of `jobs`. Returns early (with the remaining jobs skipped) if `stopRequested` becomes
// true, e.g. from a SIGINT handler.
std::vector<report::CheckResult> runIsolatedJobs(const std::vector<ScenarioJob>& jobs, const JobOptions& options,
                                                 const volatile std::sig_atomic_t* stopRequested = nullptr);

// Whether this process may create network namespaces (it tries, in a throwaway child).
bool canCreateNetworkNamespaces();

}  // namespace sockspec::runner
