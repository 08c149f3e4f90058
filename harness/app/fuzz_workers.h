// The fuzzing workers of one `sockspec fuzz` run (`sockspec fuzz-worker DIR`, blackbox/fuzz_engine.h),
// started and watched until --max-time, an interrupt, or their end; their last states read and merged into
// one. One worker, or --jobs N: N workers, each with its own target (its own port) and work folder, sharing
// one corpus folder. Distinct findings are counted across them: at --max-findings the others are stopped.
// An interrupt is passed on to each, which writes its state and stops its target within a fraction of a
// second (killed after kInterruptGrace otherwise).
#pragma once

#include <csignal>
#include <vector>

#include "app/fuzz_run.h"
#include "blackbox/fuzz_worker_state.h"

namespace sockspec::app {

// Runs `workers` (their options already written into their work folders) for up to `maxTimeSeconds` (plus
// a grace to end), stopping all once `maxFindings` (0: no limit) distinct findings were saved among them.
Expected<FuzzOutcome, FuzzFailure> runFuzzWorkers(const std::vector<blackbox::FuzzWorkerOptions>& workers,
                                                  int maxTimeSeconds, std::size_t maxFindings,
                                                  const volatile std::sig_atomic_t* stopRequested);

}  // namespace sockspec::app
