// Runs one scenario over one family, in this process: the steps in order, stopping at the first whose
// outcome differs from its expectation. The caller provides isolation (runner/isolated_job.h).
#pragma once

#include <functional>
#include <string>

#include "report/run_result.h"
#include "scenario/scenario.h"

namespace sockspec::runner {

// The id of one scenario run: "close.unread-data-rst[tcp6]".
std::string checkId(const scenario::Scenario& scenario, scenario::Family family);

// `workDirectory` is an existing private folder for the scenario's unix socket paths.
// `afterStep`, when given, runs after every step (the capture drains its buffer there).
report::CheckResult executeScenario(const scenario::Scenario& scenario, scenario::Family family,
                                    const std::string& workDirectory,
                                    const std::function<void()>& afterStep = {});

// The parts of a result that do not depend on running it (id, family, file, claims, source, title).
report::CheckResult describeCheck(const scenario::Scenario& scenario, scenario::Family family);

}  // namespace sockspec::runner
