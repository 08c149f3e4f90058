// Runs one service check in a process of its own, so that an interrupt (SIGINT, SIGTERM) ends it at once
// instead of at its deadline, and a check that crashes or outstays its deadline fails alone instead of
// taking the run with it.
#pragma once

#include <chrono>
#include <csignal>

#include "suites/service_check.h"

namespace sockspec::suites {

// The check's outcome; Skipped "not run: interrupted" when `stopRequested` became non-zero first; Failed
// when its process died or was still running `grace` after the check's deadline.
CheckOutcome runIsolatedCheck(const ServiceCheck& check, const CheckContext& context,
                              const volatile std::sig_atomic_t* stopRequested,
                              std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

}  // namespace sockspec::suites
