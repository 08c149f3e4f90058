// The fuzzing worker of `sockspec fuzz`: libFuzzer as the engine (LLVMFuzzerRunDriver from Debian's
// libclang_rt.fuzzer_no_main), each input sent to the target on a fresh connection, the server's replies
// as the coverage (reply_feedback.h), findings written as reproducers. libFuzzer installs signal handlers
// and calls exit() when done, so this runs in a child process of its own (the `fuzz` command spawns it);
// it reports to the parent through a JSON state file rewritten after every finding and every few seconds.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "blackbox/fuzz_target.h"
#include "blackbox/service_model.h"

namespace sockspec::blackbox {

struct FuzzWorkerOptions {
  FuzzService service = FuzzService::Echo;
  FuzzTargetOptions target;
  std::string replayOptions;  // for the sidecars: how to reach the target again
  std::string artifactsDir;   // reproducers go here
  std::string stateFile;      // the JSON state for the parent
  std::string workDir;        // private: the seed corpus and the engine's log
  int maxTimeSeconds = 60;
  std::chrono::milliseconds hangTimeout{1000};
  std::uint32_t seed = 0;  // 0: libFuzzer picks one
  std::size_t maxLength = 4096;
  std::size_t maxFindings =
      0;  // stop once this many distinct reproducers are saved; 0: go on until the time is up
  std::chrono::milliseconds progressEvery{2000};
  bool noShrink = false;  // save findings as found, without shrinking them first
};

// Starts the target, then runs libFuzzer until the time is up (or until a finding that cannot be
// followed by a restart), and ends the process: exit 0 when the run went through, whatever it found; exit 2
// with a message on stderr when the target could not be started or reached. Never returns.
[[noreturn]] void runFuzzWorker(const FuzzWorkerOptions& options);

}  // namespace sockspec::blackbox
