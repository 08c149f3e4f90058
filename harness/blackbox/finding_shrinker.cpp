#include "blackbox/finding_shrinker.h"

#include "blackbox/conversation_exchange.h"

namespace sockspec::blackbox {

namespace {

// One try: the same failure again? The server is restarted whenever it failed, in whatever way.
bool failsTheSameWay(process::TargetSession& target, const FuzzProtocol& protocol, const Finding& wanted,
                     const std::vector<std::uint8_t>& candidate, const ExchangeLimits& limits,
                     const ReplyWaits& waits, ShrinkResult& progress) {
  ++progress.tries;
  net::Bytes input(candidate.data(), candidate.size());
  auto result = exchangeFor(target.endpoint(), protocol, input, waits, limits);
  if (result.interrupted) return false;
  std::optional<Finding> found;
  if (result.connectFailure) {
    found = judgeConnectFailure(target, *result.connectFailure, limits);
    found->signature = "(unknown: failed before this input)";  // never counts as the same failure
  } else {
    found = judgeExchange(target, protocol, input, result, limits, waits);
    if (!found) {
      if (auto failure = target.probe()) found = judgeConnectFailure(target, *failure, limits);
    }
  }
  if (!found || limits.stopped()) return false;
  if (auto restarted = target.restart(); !restarted) {
    progress.targetLost = true;
    return false;
  }
  ++progress.restarts;
  return found->signature == wanted.signature;
}

}  // namespace

ShrinkResult shrinkFinding(process::TargetSession& target, const FuzzProtocol& protocol, const Finding& finding,
                           std::vector<std::uint8_t> input, const ExchangeLimits& limits, const ReplyWaits& waits,
                           const ShrinkBudget& budget, const std::vector<std::uint8_t>& previous) {
  ShrinkResult progress;
  progress.input = std::move(input);
  if (!target.startedByUs()) return progress;
  // The server that failed is still failing (dead, hung, not accepting): a try against it would fail the
  // same way whatever it sent, and be taken for a shorter reproducer.
  if (auto restarted = target.restart(); !restarted) {
    progress.targetLost = true;
    return progress;
  }
  ++progress.restarts;
  // Alone first (a failure is followed by a restart; a pass is not, so restart before the next try).
  if (!failsTheSameWay(target, protocol, finding, progress.input, limits, waits, progress)) {
    if (progress.targetLost || limits.stopped()) return progress;
    bool previousFails = false;
    if (!previous.empty()) {
      if (auto restarted = target.restart(); !restarted) {
        progress.targetLost = true;
        return progress;
      }
      ++progress.restarts;
      previousFails = failsTheSameWay(target, protocol, finding, previous, limits, waits, progress);
    }
    if (!previousFails) {
      progress.notAlone = !progress.targetLost && !limits.stopped();
      return progress;
    }
    progress.input = previous;
    progress.fromPrevious = true;
  }
  auto spent = [&] {
    return progress.targetLost || progress.tries >= budget.tries || budget.deadline.expired() || limits.stopped();
  };
  for (std::size_t chunk = progress.input.size() / 2; chunk >= 1 && !spent(); chunk /= 2) {
    for (std::size_t at = 0; at + chunk <= progress.input.size() && !spent();) {
      std::vector<std::uint8_t> candidate(progress.input.begin(),
                                          progress.input.begin() + static_cast<std::ptrdiff_t>(at));
      candidate.insert(candidate.end(), progress.input.begin() + static_cast<std::ptrdiff_t>(at + chunk),
                       progress.input.end());
      if (failsTheSameWay(target, protocol, finding, candidate, limits, waits, progress)) {
        progress.input = std::move(candidate);  // the same place now holds the next chunk: try it too
      } else {
        at += chunk;
      }
    }
  }
  return progress;
}

}  // namespace sockspec::blackbox
