#include "report/run_result.h"

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
