#include "app/target_events_check.h"

#include <fmt/format.h>

namespace sockspec::app {

report::CheckResult checkEventsOrder(const process::TargetSession& target) {
  const std::string& path = target.eventsLogPath();
  report::CheckResult check;
  check.id = "events.lifecycle-order";
  check.title = "the target's socket calls follow the legal lifecycle order";
  check.source = "socket(2), bind(2), listen(2), accept(2), connect(2), close(2)";
  check.file = path;
  auto checked = target.checkEventsLog();
  if (!checked) {
    check.status = report::Status::Failed;
    check.message = fmt::format("{}: the target wrote no --events log", path);
    return check;
  }
  const events::OrderReport& order = *checked;
  if (!order.violations.empty()) {
    check.status = report::Status::Failed;
    check.line = static_cast<int>(order.violations.front().line);
    check.message = fmt::format("{} of {} calls out of order; first: {}", order.violations.size(), order.calls,
                                order.violations.front().message);
  } else if (order.calls == 0) {
    check.status = report::Status::Failed;
    check.message = "the --events log holds no socket calls";
  }
  return check;
}

}  // namespace sockspec::app
