#include "blackbox/fault_verdict.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/errno_names.h"

namespace sockspec::blackbox {

namespace {

Finding exitFinding(const std::string& how) {
  return Finding{FindingKind::Crash, fmt::format("target {}", how), fmt::format("crash: {}", how)};
}

// How the server we started ended, waiting up to `grace` in slices, so that an interrupt cuts the wait short.
std::optional<std::string> endedWithin(process::TargetSession& target, std::chrono::milliseconds grace,
                                       const ExchangeLimits& limits) {
  Deadline deadline = Deadline::after(grace);
  // Bounded by the deadline.
  for (;;) {
    if (auto how = target.endedHow(std::min(kStopCheck, deadline.remaining()))) return how;
    if (deadline.expired() || limits.stopped()) return std::nullopt;
  }
}

}  // namespace

std::string_view findingKindName(FindingKind kind) {
  return kind == FindingKind::Crash ? "crash" : "hang";
}

Finding judgeConnectFailure(process::TargetSession& target, const net::EndpointFailure& failure,
                            const ExchangeLimits& limits) {
  // A server that died refuses at once; give it the hang timeout to show up as exited.
  if (auto how = endedWithin(target, limits.hangTimeout, limits)) return exitFinding(*how);
  return Finding{
      FindingKind::Crash, fmt::format("target stopped accepting: {}", failure.describe()),
      fmt::format("crash: stopped accepting ({}: {})", failure.error.call, errnoName(failure.error.code))};
}

std::optional<Finding> judgeExchange(process::TargetSession& target, proto::Service service, net::Bytes input,
                                     const ExchangeResult& result, const ExchangeLimits& limits) {
  bool complete = replyComplete(service, input, result);
  // A reset or a reply cut short is how a crash looks from the socket: wait a moment for the exit status.
  bool suspicious = result.end == ConnectionEnd::Reset || !complete;
  if (auto how = endedWithin(target, suspicious ? kExitGrace : std::chrono::milliseconds(0), limits))
    return exitFinding(*how);
  if (result.end == ConnectionEnd::StillOpen && !complete) {
    return Finding{FindingKind::Hang,
                   fmt::format("no reply and no close within {} ms ({})", limits.hangTimeout.count(),
                               describeExchange(service, input, result)),
                   "hang: no reply and no close"};
  }
  return std::nullopt;
}

}  // namespace sockspec::blackbox
