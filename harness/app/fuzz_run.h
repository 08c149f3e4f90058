// `sockspec fuzz`, the parent's side: checks the options, reaches an already-running target once (an
// unreachable one is bad input before any fuzzing), writes the seeds and each worker's options into a
// private work folder, and runs the workers (`sockspec fuzz-worker DIR`, blackbox/fuzz_engine.h; one, or
// --jobs of them, app/fuzz_workers.h) until --max-time, an interrupt or their end, then reads their last
// FuzzStates as one. A worker is a separate process because libFuzzer installs signal handlers and calls
// exit() when done. The work folder, with the targets' files in it, is removed before this returns.
#pragma once

#include <csignal>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "app/blackbox_target_options.h"
#include "base/expected.h"
#include "blackbox/fuzz_worker_state.h"

namespace sockspec::app {

// The most workers --jobs starts: each runs a server too.
inline constexpr int kMaxJobs = 64;

// What the command line said, word for word.
struct FuzzOptions {
  BlackboxTargetOptions target;
  std::string service;
  std::string replyEnd;  // --reply-end, --reply, --probe (blackbox/fuzz_protocol.h)
  std::string reply;
  std::string probe;
  std::vector<std::string> seedDirs;      // --seeds
  std::vector<std::string> seedCaptures;  // --seeds-from
  std::string dictionary;                 // --dict
  int maxTimeSeconds = 60;
  std::string artifacts;
  std::string corpus;  // --corpus: where the inputs that found something new are kept ("" none)
  std::uint32_t seed = 0;
  std::size_t maxLength = 4096;
  long long maxFindings = 0;  // 0: until --max-time (signed, so that -1 is seen and refused)
  bool noShrink = false;
  bool noCoverage = false;  // --no-coverage
  int jobs = 1;  // --jobs: workers, each with its own server (fuzz_workers.h)
  std::set<std::string> given;  // the options the command line named ("--max-findings")
};

struct FuzzFailure {
  enum class Kind {
    Usage,          // bad options or an unreachable target (exit 2); `message` says which
    UsageReported,  // the worker found the target unusable and said so on stderr itself (exit 2)
    Internal,       // sockspec failed (exit 3); `message` says how, with the engine's last words
  };
  Kind kind = Kind::Usage;
  std::string message;
};

struct FuzzOutcome {
  blackbox::FuzzState state;
  bool interrupted = false;
  std::optional<std::string> warning;  // the worker ended badly or overran; its findings so far follow
};

Expected<FuzzOutcome, FuzzFailure> runFuzzCampaign(const FuzzOptions& options,
                                                   const volatile std::sig_atomic_t* stopRequested);

// "sockspec fuzz: done: 1200 execs in 10.0 s (120 exec/s), 1 findings from 7 inputs, 8 restarts"; when
// it stopped early, why; and each finding whose reproducer could not be written ("crash (2 bytes): DETAIL:
// NOT SAVED: why"): the lines for stderr.
std::vector<std::string> fuzzSummaryLines(const FuzzOutcome& outcome);
// One line per finding saved, for stdout: "crash PATH (N bytes, S s, H inputs): DETAIL", S when it was
// first found, H the inputs that failed the server that way.
std::vector<std::string> fuzzFindingLines(const blackbox::FuzzState& state);

}  // namespace sockspec::app
