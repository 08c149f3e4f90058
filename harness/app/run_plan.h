// Planning a run: from what the command line said (RunOptions) to what will run (RunPlan), without
// starting anything. It checks every option (values out of range, --capture naming a file, --user naming
// nobody, and options a service suite has no use for), loads and parses the scenario files (a suite with a malformed
// file does not run at all), refuses duplicate ids, and expands each scenario into one job per family
// that matches --filter; or, for a service suite, picks the suite's checks. Every failure here is bad
// input (exit 2). run_execution.h carries the plan out.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/report_outputs.h"
#include "app/run_options.h"
#include "base/expected.h"
#include "process/target_session.h"
#include "runner/isolated_jobs.h"
#include "scenario/scenario.h"
#include "suites/service_suite.h"

namespace sockspec::app {

enum class RunMode {
  Scenarios,     // scenario files, or the default suite (and connect-target scenarios with a target)
  ServiceSuite,  // a built-in suite of checks against --target/--target-cmd
};

struct RunPlan {
  RunMode mode = RunMode::Scenarios;
  ReportOutputs outputs;
  std::string suiteName;  // "default", a service suite's name, or the paths given
  std::optional<process::TargetSpec> target;
  std::string captureDirectory;  // --capture DIR as given; made when the run starts
  bool listOnly = false;  // --list: print the jobs or the service checks, run (and start) nothing

  // Scenarios.
  std::vector<std::unique_ptr<scenario::Scenario>> scenarios;
  std::vector<runner::ScenarioJob> jobs;  // each points into `scenarios`
  std::size_t parallel = 0;
  runner::Isolation isolation = runner::Isolation::Auto;
  std::chrono::milliseconds jobDeadline{30'000};
  std::optional<runner::RunAs> runAs;  // --user, looked up while planning

  // A service suite.
  const suites::ServiceSuite* service = nullptr;
  suites::SuiteOptions suiteOptions;
};

struct PlanError {
  std::vector<std::string> diagnostics;  // one "file:line:col: message" each, before the message
  std::string message;                   // "--filter 'zzz*' matches no scenario"
};

// Never throws; reads the scenario files, looks at --capture's path and looks up --user, and nothing else.
Expected<RunPlan, PlanError> planRun(const RunOptions& options);

// --list: "close.unread-data-rst[tcp4]  FILE" a job, or "echo.one-byte  echo suite" a service check.
std::vector<std::string> listJobs(const RunPlan& plan);

// Whether a glob (fnmatch(3)) matches an id; an empty filter matches everything.
bool matchesFilter(const std::string& filter, const std::string& id);

}  // namespace sockspec::app
