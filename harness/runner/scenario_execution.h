// Runs one scenario over one family, in this process: the steps in order, stopping at the first whose
// outcome differs from its expectation. The caller provides isolation (runner/isolated_jobs.h, job_sandbox.h).
#pragma once

#include <string>

#include "capture/live_capture.h"
#include "net/sock_addr.h"
#include "report/run_result.h"
#include "scenario/scenario.h"

namespace sockspec::runner {

// The id of one scenario run: "close.unread-data-rst[tcp6]".
std::string checkId(const scenario::Scenario& scenario, scenario::Family family);

// What the job's process provides: the live capture the wire steps read (drained after every step) or why
// there is none, and whether the process is in the scenario's own network namespace (counter steps).
struct JobContext {
  capture::LiveCapture* capture = nullptr;  // null: every wire step is skipped with `missingReason`
  std::string missingReason;                 // "needs CAP_NET_RAW to capture (run as root)", ...
  bool ownNetworkNamespace = false;          // made for this job by the runner: namespace counters start at 0
  net::SockAddr target;                      // the server under test, for connect-target (empty: none)
};

// `workDirectory` is an existing private folder for the scenario's unix socket paths.
report::CheckResult executeScenario(const scenario::Scenario& scenario, scenario::Family family,
                                    const std::string& workDirectory, const JobContext& wire = {});

// Whether the scenario has wire steps (then its TCP jobs want a capture even without --capture).
bool hasWireSteps(const scenario::Scenario& scenario);

// The parts of a result that do not depend on running it (id, family, file, claims, source, title).
report::CheckResult describeCheck(const scenario::Scenario& scenario, scenario::Family family);

}  // namespace sockspec::runner
