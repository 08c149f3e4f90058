// StepOutcome: what one executed step gave (a value, an errno, bytes, or "would block"), and the comparison
// with what the scenario expected, worded as "expected X, got Y".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "scenario/scenario.h"
#include "scenario/verbs.h"

namespace sockspec::runner {

struct StepOutcome {
  std::int64_t value = 0;     // the call's return value (a count, 0 for success)
  int error = 0;              // errno when the call failed
  bool wouldBlock = false;    // nothing was ready: the call would have blocked, or a wait timed out
  std::optional<std::string> bytes;  // recv, recvmsg: what was read
  int messageFlags = 0;       // recvmsg: msg_flags
  std::string word;           // check: a state name, "yes" or "no"
  // The read verbs: why the read stopped before the reply's end ("eof after 12 bytes: \"...\"", "no end of
  // line within 65536 bytes"); such a read meets no expectation but `any`.
  std::string incomplete;
  std::string note;           // extra context for messages ("the step's deadline of 2000 ms passed")

  static StepOutcome failed(int code) {
    StepOutcome outcome;
    outcome.value = -1;
    outcome.error = code;
    return outcome;
  }
};

// Empty when `outcome` of a `verb` step meets `expect`; else the "expected X, got Y" text.
std::string mismatch(const scenario::Expectation& expect, const StepOutcome& outcome, scenario::Verb verb);

// "ECONNRESET (Connection reset by peer)", "5 bytes \"hello\"", "0 (eof)", "would block".
std::string describeOutcome(const StepOutcome& outcome, scenario::Verb verb);
std::string describeExpectation(const scenario::Expectation& expect);

}  // namespace sockspec::runner
