// Shrinking a finding's input before it is saved: chunks are deleted, halving their size down to one byte,
// as long as the server still fails the same way (same signature). Each try is one exchange with a server
// that is restarted after every failure, so only a server we started can be shrunk against. Bounded by a
// number of tries and a deadline; what is left when either runs out is still a reproducer. An interrupt
// (limits.stopRequested) ends it within kStopCheck or a restart's wait, with the shortest input so far.
#pragma once

#include <cstdint>
#include <vector>

#include "base/deadline.h"
#include "blackbox/fault_verdict.h"
#include "blackbox/fuzz_protocol.h"
#include "blackbox/fuzz_target.h"
#include "blackbox/input_exchange.h"
#include "blackbox/reply_timing.h"

namespace sockspec::blackbox {

struct ShrinkBudget {
  int tries = 256;
  Deadline deadline = Deadline::after(std::chrono::seconds(10));
};

struct ShrinkResult {
  std::vector<std::uint8_t> input;  // the shortest input found that fails the same way
  int tries = 0;
  int restarts = 0;
  bool targetLost = false;  // the server could not be restarted: stop fuzzing
  // The input as found did not fail a fresh server again; the input before it did, and is what was shrunk.
  bool fromPrevious = false;
  // Neither failed a fresh server again (the failure needed both, or was the server's own): nothing was
  // shrunk, `input` is as found.
  bool notAlone = false;
};

// First the input is tried alone on a fresh server: one that failed on it only because of work an earlier
// input left it (a request it was still handling when this one came) does not fail again, and then
// `previous` (the input before it, "" none) is tried instead.
ShrinkResult shrinkFinding(process::TargetSession& target, const FuzzProtocol& protocol, const Finding& finding,
                           std::vector<std::uint8_t> input, const ExchangeLimits& limits, const ReplyWaits& waits,
                           const ShrinkBudget& budget, const std::vector<std::uint8_t>& previous = {});

}  // namespace sockspec::blackbox
