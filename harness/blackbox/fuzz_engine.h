// The fuzzing worker of `sockspec fuzz`: libFuzzer as the engine (LLVMFuzzerRunDriver from Debian's
// libclang_rt.fuzzer_no_main), each input sent to the target on a fresh connection, the server's replies
// as the coverage (reply_feedback.h), findings written as reproducers. libFuzzer installs signal handlers
// and calls exit() when done, so this runs in a child process of its own (the `fuzz` command spawns it);
// it reports to the parent through its FuzzState (fuzz_worker_state.h), rewritten after every finding and
// every few seconds.
#pragma once

#include "blackbox/fuzz_worker_state.h"

namespace sockspec::blackbox {

// Starts the target, then runs libFuzzer until the time is up (or until a finding that cannot be
// followed by a restart), and ends the process: exit 0 when the run went through, whatever it found; exit 2
// with a message on stderr when the target could not be started or reached. Never returns.
[[noreturn]] void runFuzzWorker(const FuzzWorkerOptions& options);

}  // namespace sockspec::blackbox
