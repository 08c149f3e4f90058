// Carrying out a RunPlan: sets up the capture folder and the user to switch to, opens the server under
// test (process::TargetSession), runs the scenario jobs (runner/isolated_jobs.h) or the service suite,
// checks the target's --events log, judges the tutorial's claims, and writes the console as checks finish
// and every machine report at the end.
#pragma once

#include <csignal>
#include <optional>
#include <string>

#include "app/run_plan.h"
#include "base/expected.h"
#include "report/run_result.h"

namespace sockspec::app {

struct RunOutcome {
  report::RunResult result;
  bool interrupted = false;
  std::optional<std::string> reportError;  // a machine report that could not be written, and why
};

// Fails, before any check ran, with a message for bad input (exit 2): a capture folder that cannot be made,
// --user without root or naming nobody, a target that cannot be started or reached. `stopRequested` (a
// signal handler's flag) ends the run early, the remaining checks skipped as interrupted.
Expected<RunOutcome, std::string> executeRun(const RunPlan& plan, const volatile std::sig_atomic_t* stopRequested);

}  // namespace sockspec::app
