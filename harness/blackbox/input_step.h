// One input of a fuzzing run, as both hosts of the fuzz loop take it: `sockspec fuzz`'s worker
// (fuzz_engine.h) and the libFuzzer program of its own (server_fuzz_target.h, for ClusterFuzzLite). The input
// is sent on a fresh connection with the waits learnt so far, judged (fault_verdict.h), and, when it was
// fine, learnt from (reply_timing.h) and turned into reply features (reply_feedback.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>

#include "blackbox/fault_verdict.h"
#include "blackbox/fuzz_protocol.h"
#include "blackbox/input_exchange.h"
#include "blackbox/reply_timing.h"
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
};

// The server a fuzz loop sends its inputs to, and what the loop learns of it; one per process.
struct FuzzedServer {
  ExchangeLimits limits;
  ReplyTiming timing{std::chrono::milliseconds(1000)};  // any: learned from the replies (reply_timing.h)
  std::optional<process::TargetSession> target;
  std::optional<process::ActivityWatch> activity;  // of the target's processes (a started one), for rests

  // The limits' hang and connect timeouts, and waits learned afresh.
  void setHangTimeout(std::chrono::milliseconds hangTimeout);
  // What the replies' rests are read from (reply_timing.h): the processes of the server the target started
  // last (the watch is remade after a restart); nullptr for a server sockspec did not start.
  process::ActivityWatch* serverActivity();
  // One input on a fresh connection. `counters` get the exchange's reply features when there is no finding
  // (a finding is not a coverage input: mutating it would only find it again).
  InputStep step(const FuzzProtocol& protocol, net::Bytes input, std::span<std::uint8_t> counters);
};

}  // namespace sockspec::blackbox
