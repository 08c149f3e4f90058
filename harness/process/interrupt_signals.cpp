#include "process/interrupt_signals.h"

#include <signal.h>

#include "base/exit_codes.h"

namespace sockspec::process {

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

// The flag holds the signal's number (non-zero), so that the exit code can say which one came.
void onInterrupt(int signal) { g_interrupted = signal; }

}  // namespace

void installInterruptHandlers() {
  struct sigaction action {};
  action.sa_handler = onInterrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

const volatile std::sig_atomic_t* interruptFlag() { return &g_interrupted; }

int interruptExitCode() {
  int signal = g_interrupted;
  return signal == SIGTERM ? kExitTerminated : kExitInterrupted;
}

}  // namespace sockspec::process
