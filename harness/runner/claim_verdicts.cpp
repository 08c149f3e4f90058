#include "runner/claim_verdicts.h"

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>

namespace sockspec::runner {

namespace {

struct TutorialClaim {
  int number;
  std::string_view text;
};

// The claims exactly as the tutorial makes them (issue #3).
constexpr std::array kClaims{
    TutorialClaim{1, "backlog is how many clients may connect, at least 1, and when it is reached new requests "
                     "are refused"},
    TutorialClaim{2, "when more data arrives than recv allows, it is truncated and the rest is buffered for later "
                     "recv calls"},
    TutorialClaim{3, "close the connection that accept returned first, then the server socket"},
    TutorialClaim{4, "recv blocks until data arrives, and send returns the number of bytes sent"},
};

bool contains(const std::vector<int>& values, int value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

}  // namespace

std::vector<report::ClaimResult> judgeClaims(const std::vector<report::CheckResult>& checks) {
  std::vector<report::ClaimResult> verdicts;
  if (std::none_of(checks.begin(), checks.end(), [](const auto& check) { return !check.claims.empty(); })) {
    return verdicts;
  }
  for (const auto& claim : kClaims) {
    report::ClaimResult verdict;
    verdict.claim = claim.number;
    verdict.text = std::string(claim.text);
    std::size_t confirming = 0;
    std::size_t refuting = 0;
    std::size_t failing = 0;
    for (const auto& check : checks) {
      if (!contains(check.claims, claim.number)) continue;
      if (check.status == report::Status::Skipped) continue;
      bool refutes = contains(check.refutes, claim.number);
      if (check.status == report::Status::Failed) {
        ++failing;
        verdict.evidence.push_back(check.id + " (failed: inconclusive)");
        continue;
      }
      (refutes ? refuting : confirming) += 1;
      verdict.evidence.push_back(fmt::format("{} ({})", check.id, refutes ? "refutes" : "confirms"));
    }
    if (confirming > 0 && refuting > 0) {
      verdict.verdict = report::ClaimVerdict::PartlyTrue;
    } else if (refuting > 0) {
      verdict.verdict = report::ClaimVerdict::Refuted;
    } else if (confirming > 0) {
      verdict.verdict = report::ClaimVerdict::Confirmed;
    }
    verdict.summary = fmt::format("{} check{} confirm{} it, {} refute{} it{}", confirming,
                                  confirming == 1 ? "" : "s", confirming == 1 ? "s" : "", refuting,
                                  refuting == 1 ? "s" : "",
                                  failing > 0 ? fmt::format(", {} failed", failing) : std::string());
    verdicts.push_back(std::move(verdict));
  }
  return verdicts;
}

}  // namespace sockspec::runner
