// Runs one service check in a process of its own, so that an interrupt (SIGINT, SIGTERM) ends it at once
// instead of at its deadline, and a check that crashes or outstays its deadline fails alone instead of
// taking the run with it.
#pragma once

#include <chrono>
#include <csignal>
#include <functional>

#include "suites/service_check.h"

namespace sockspec::suites {

// What the parent does while the check's process runs: `serve` is called whenever `fd` is readable (polled
// with the check's pipe) and at least every 50 ms. The check's capture drains its kernel buffer this way.
struct WhileRunning {
  int fd = -1;
  std::function<void()> serve;
};

// The check's outcome; Skipped "not run: interrupted" when `stopRequested` became non-zero first; Failed
// when its process died or was still running `grace` after the check's deadline.
CheckOutcome runIsolatedCheck(const ServiceCheck& check, const CheckContext& context,
                              const volatile std::sig_atomic_t* stopRequested,
                              const WhileRunning& alongside = {},
                              std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

}  // namespace sockspec::suites
