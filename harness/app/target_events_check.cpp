#include "app/target_events_check.h"

#include <fmt/format.h>

#include <filesystem>

namespace sockspec::app {

report::CheckResult checkEventsOrder(const process::TargetSession& target) {
  const auto& paths = target.eventsLogPaths();
  report::CheckResult check;
  check.id = "events.lifecycle-order";
  check.title = "the target's socket calls follow the legal lifecycle order";
  check.source = "socket(2), bind(2), listen(2), accept(2), connect(2), close(2)";
  if (paths.empty()) {
    check.status = report::Status::Failed;
    check.message = "the target was never started with an --events log";
    return check;
  }
  check.file = paths.front();
  // One log per server started (a fresh one per check): each must exist and be in order on its own.
  std::size_t calls = 0;
  std::size_t violations = 0;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const std::string& path = paths[i];
    std::string which = paths.size() == 1 ? std::string("the target")
                                          : fmt::format("the target's start {} of {}", i + 1, paths.size());
    auto checked = target.checkEventsLog(i);
    if (!checked || checked->calls == 0) {
      check.status = report::Status::Failed;
      check.file = path;
      check.message = fmt::format("{}: {} wrote nothing to its --events log", path, which);
      return check;
    }
    calls += checked->calls;
    if (auto outOfOrder = events::describeOutOfOrder(*checked); outOfOrder && violations == 0) {
      check.status = report::Status::Failed;
      check.file = path;
      check.line = static_cast<int>(checked->violations.front().line);
      check.message = fmt::format("{}: {}", which, *outOfOrder);
    }
    violations += checked->violations.size();
  }
  if (violations > 0 && paths.size() > 1) {
    check.message += fmt::format(" ({} out of order in all {} logs, {} calls)", violations, paths.size(), calls);
  }
  return check;
}

}  // namespace sockspec::app
