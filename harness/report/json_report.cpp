#include "report/json_report.h"

#include <cmath>

#include <nlohmann/json.hpp>

namespace sockspec::report {

namespace {

// Insertion-ordered, so that the document reads in the order docs/reports.md gives.
using Json = nlohmann::ordered_json;

// Whole microseconds: a steady_clock difference otherwise prints as 3.1415926000000001.
double roundedMs(double ms) { return std::round(ms * 1000.0) / 1000.0; }

Json scenarioJson(const CheckResult& check) {
  Json scenario;
  scenario["id"] = check.id;
  scenario["family"] = check.family;
  scenario["status"] = statusName(check.status);
  scenario["file"] = check.file;
  scenario["line"] = check.line;
  scenario["message"] = check.message;
  scenario["duration_ms"] = roundedMs(check.durationMs);
  scenario["claims"] = check.claims;
  scenario["source"] = check.source;
  scenario["title"] = check.title;
  if (!check.target.empty()) scenario["target"] = check.target;
  if (check.harnessFault) scenario["harness_fault"] = true;
  // Only when the run captured: what is on disk (the pcap and its size, or none and why), beside what the
  // kernel saw (pcap_stats; a drop means incomplete wire evidence).
  if (check.captured()) {
    scenario["capture"] = {{"file", check.captureFile.empty() ? Json(nullptr) : Json(check.captureFile)},
                           {"bytes", check.captureBytes},
                           {"error", check.captureError},
                           {"received", check.captureReceived},
                           {"dropped", check.captureDropped}};
  }
  // Only with wire steps: how many were checked on captured packets and how many could not be, and why.
  if (check.wireAsserted > 0 || check.wireSkipped > 0) {
    scenario["wire"] = {{"asserted", check.wireAsserted},
                        {"skipped", check.wireSkipped},
                        {"skip_reason", check.wireSkipReason}};
  }
  return scenario;
}

Json claimJson(const ClaimResult& claim) {
  Json out;
  out["claim"] = claim.claim;
  out["text"] = claim.text;
  out["verdict"] = verdictName(claim.verdict);
  out["summary"] = claim.summary;
  out["evidence"] = claim.evidence;
  return out;
}

}  // namespace

std::string renderJsonReport(const RunResult& result) {
  RunSummary totals = result.summary();
  Json document;
  document["suite"] = result.suite;
  document["summary"] = Json{{"passed", totals.passed},
                             {"failed", totals.failed},
                             {"skipped", totals.skipped},
                             {"duration_ms", roundedMs(totals.durationMs)}};
  document["scenarios"] = Json::array();
  for (const auto& check : result.checks) document["scenarios"].push_back(scenarioJson(check));
  document["claims"] = Json::array();
  for (const auto& claim : result.claims) document["claims"].push_back(claimJson(claim));
  // A failure message may quote a peer's bytes; replace what is not UTF-8 rather than throw.
  return document.dump(2, ' ', false, Json::error_handler_t::replace) + '\n';
}

}  // namespace sockspec::report
