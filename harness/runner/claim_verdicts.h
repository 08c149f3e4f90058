// The tutorial's four claims and the verdict this OS gives each, from the scenarios tagged with them:
// "claim N confirms" scenarios that pass support it, "claim N refutes" scenarios that pass contradict it.
#pragma once

#include <vector>

#include "report/run_result.h"

namespace sockspec::runner {

// One ClaimResult per claim (1-4): confirmed when every passing tagged check confirms it, refuted when every
// one refutes it, partly true when both kinds pass, untested when none passed. Failed checks are listed as
// evidence too, since they mean this OS did not do what the scenario expected. None at all when no check
// is about any claim (a run of regression scenarios or other scenarios without a `claims` line): four
// "untested" verdicts would only be noise there.
std::vector<report::ClaimResult> judgeClaims(const std::vector<report::CheckResult>& checks);

}  // namespace sockspec::runner
