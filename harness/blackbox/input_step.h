// One input of a fuzzing run, as both hosts of the fuzz loop take it: `sockspec fuzz`'s worker
// (fuzz_engine.h) and the libFuzzer program of its own (server_fuzz_target.h, for ClusterFuzzLite). The input
// is sent on a fresh connection with the waits learnt so far, judged (fault_verdict.h), and, when it was
// fine, learnt from (reply_timing.h) and turned into reply features (reply_feedback.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/expected.h"
#include "blackbox/fault_verdict.h"
#include "blackbox/fuzz_protocol.h"
#include "blackbox/input_exchange.h"
#include "blackbox/comparison_memory.h"
#include "blackbox/reply_timing.h"
#include "blackbox/server_coverage.h"
#include "process/process_activity.h"
#include "process/target_session.h"

namespace sockspec::blackbox {

struct InputStep {
  ExchangeResult result;
  std::optional<Finding> finding;
  // The server was gone before this input (a refused connect, a datagram refused before any reply): the
  // input before it is the one to blame.
  bool blamesPrevious = false;
  // SIGINT or SIGTERM came during the exchange or the verdict: neither says anything about the server.
  bool interrupted = false;
  // Grey-box (a server with the coverage runtime): the comparisons the server failed meanwhile (for
  // libfuzzer_feed.h), and once per server process a note when its inline counters stopped being read.
  std::vector<ServerComparison> comparisons;
  std::optional<std::string> coverageNote;
};

// The server a fuzz loop sends its inputs to, and what the loop learns of it; one per process.
struct FuzzedServer {
  ExchangeLimits limits;
  ReplyTiming timing{std::chrono::milliseconds(1000)};  // any: learned from the replies (reply_timing.h)
  std::optional<process::TargetSession> target;
  std::optional<process::ActivityWatch> activity;  // of the target's processes (a started one), for rests
  std::optional<ServerCoverage> coverage;          // grey-box: the region the server's runtime writes
  ComparisonMemory comparisonMemory;               // grey-box: what the server failed to match, per input
  bool flushMissNoted = false;                     // grey-box: coverageNote given for this server process

  // The limits' hang and connect timeouts, and waits learned afresh.
  void setHangTimeout(std::chrono::milliseconds hangTimeout);
  // Before the server is started: makes the coverage region and names it in this process's environment
  // (SOCKSPEC_COVERAGE_MAP), which the server inherits. The error names the call that failed.
  Expected<void, std::string> watchCoverage();
  // Whether the server's coverage runtime attached to the region (it registered its edges).
  bool greyBox() const { return coverage && coverage->attached(); }
  // What the replies' rests are read from (reply_timing.h): the processes of the server the target started
  // last (the watch is remade after a restart); nullptr for a server sockspec did not start.
  process::ActivityWatch* serverActivity();
  // One input on a fresh connection. When there is no finding (a finding is not a coverage input: mutating
  // it would only find it again), `counters` get the exchange's reply features and, grey-box, `edges`
  // (ServerCoverage::kEdgeSlots of them) the server's edges; what the server did before the input (its
  // start-up, an earlier probe) is not counted.
  InputStep step(const FuzzProtocol& protocol, net::Bytes input, std::span<std::uint8_t> counters,
                 std::span<std::uint8_t> edges = {});
};

}  // namespace sockspec::blackbox
