// The lifecycle-order check of a started target's --events log (docs/events.md), as one more check of the
// run: the reference targets, or any program writing the same log, must make their socket calls in a legal
// order (socket, bind, listen, accept, ..., close).
#pragma once

#include <string>

#include "process/target_session.h"
#include "report/run_result.h"

namespace sockspec::app {

// "events.lifecycle-order" for a stopped target that was told to write an --events log, one per start: failed
// when a start's log is empty or unreadable, or when one has calls out of order (the first violation's start,
// line and text); passed otherwise.
report::CheckResult checkEventsOrder(const process::TargetSession& target);

}  // namespace sockspec::app
