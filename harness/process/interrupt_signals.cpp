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

void restoreDefaultInterrupts() {
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  if (int pending = g_interrupted; pending != 0) ::raise(pending);
}

int interruptExitCode() {
  int signal = g_interrupted;
  return signal == SIGTERM ? kExitTerminated : kExitInterrupted;
}

}  // namespace sockspec::process
