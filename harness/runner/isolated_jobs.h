// The scenario job scheduler: runs jobs (one scenario over one family each) in child processes, several at
// once. Which jobs run is job_admission.h's decision; what a job's process sets up is job_sandbox.h's; this
// file is the mechanism: fork (process::ChildProcess), read each result from a pipe, kill a job at its
// deadline, and on a stop request kill every job. A job that crashes or outlives its deadline is reported as
// a failure. Nothing is left behind: every child is reaped and every work directory removed.
#pragma once

#include <chrono>
#include <csignal>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "report/run_result.h"
#include "runner/job_admission.h"
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

// The skipped result of a job that is not run, with the reason ("not run: the target died during ...").
report::CheckResult notRunResult(const ScenarioJob& job, std::string reason);

// Whether this process may create network namespaces (it tries, in a throwaway child).
bool canCreateNetworkNamespaces();

}  // namespace sockspec::runner
