#include "report/run_result.h"

#include <fmt/format.h>

namespace sockspec::report {

RunSummary RunResult::summary() const {
  RunSummary summary;
  for (const auto& check : checks) {
    switch (check.status) {
      case Status::Passed: ++summary.passed; break;
      case Status::Failed: ++summary.failed; break;
      case Status::Skipped: ++summary.skipped; break;
    }
    summary.durationMs += check.durationMs;
  }
  if (elapsedMs) summary.durationMs = *elapsedMs;
  return summary;
}

std::string describeWireEvidence(const CheckResult& check) {
  if (check.wireAsserted == 0 && check.wireSkipped == 0) return {};
  if (check.wireSkipped == 0) return fmt::format("wire: {} asserted", check.wireAsserted);
  return fmt::format("wire: {} asserted, {} skipped ({})", check.wireAsserted, check.wireSkipped,
                     check.wireSkipReason);
}

std::string describeCaptureLoss(const CheckResult& check) {
  if (check.captureError.empty()) return {};
  return "capture not written: " + check.captureError;
}

CaptureLosses captureLosses(const RunResult& result) {
  CaptureLosses losses;
  for (const auto& check : result.checks) {
    if (check.captureError.empty()) continue;
    if (losses.count++ == 0) losses.first = &check;
  }
  return losses;
}

std::string_view statusName(Status status) {
  switch (status) {
    case Status::Passed: return "passed";
    case Status::Failed: return "failed";
    case Status::Skipped: return "skipped";
  }
  return "?";
}

std::string_view verdictName(ClaimVerdict verdict) {
  switch (verdict) {
    case ClaimVerdict::Confirmed: return "confirmed";
    case ClaimVerdict::PartlyTrue: return "partly true";
    case ClaimVerdict::Refuted: return "refuted";
    case ClaimVerdict::Untested: return "untested";
  }
  return "?";
}

}  // namespace sockspec::report
