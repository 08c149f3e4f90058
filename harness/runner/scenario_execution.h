// Runs one scenario over one family, in this process: the steps in order, stopping at the first whose
// outcome differs from its expectation. The caller provides isolation (runner/isolated_job.h).
#pragma once

#include <string>

#include "capture/live_capture.h"
#include "report/run_result.h"
#include "scenario/scenario.h"

namespace sockspec::runner {

// The id of one scenario run: "close.unread-data-rst[tcp6]".
std::string checkId(const scenario::Scenario& scenario, scenario::Family family);

// What the run's wire steps read: the job's live capture (drained after every step), or why there is none.
struct WireEvidence {
  capture::LiveCapture* capture = nullptr;  // null: every wire step is skipped with `missingReason`
  std::string missingReason;                 // "needs CAP_NET_RAW (run as root)", ...
};

// `workDirectory` is an existing private folder for the scenario's unix socket paths.
report::CheckResult executeScenario(const scenario::Scenario& scenario, scenario::Family family,
                                    const std::string& workDirectory, const WireEvidence& wire = {});

// Whether the scenario has wire steps (then its TCP jobs want a capture even without --capture).
bool hasWireSteps(const scenario::Scenario& scenario);

// The parts of a result that do not depend on running it (id, family, file, claims, source, title).
report::CheckResult describeCheck(const scenario::Scenario& scenario, scenario::Family family);

}  // namespace sockspec::runner
