// Ctrl-C and SIGTERM for a long command (run, fuzz): the handler only raises a flag, which the work polls
// between steps (a job, a wait), so the command stops promptly, kills what it started, still writes what it
// has, and exits with 128 + the signal's number as shells report it: kExitInterrupted (130) for SIGINT,
// kExitTerminated (143) for SIGTERM. One handler for every command.
#pragma once

#include <csignal>

namespace sockspec::process {

// Installs the handler for SIGINT and SIGTERM (sigaction, no SA_RESTART: a blocking call returns EINTR).
void installInterruptHandlers();

// The flag the handler raises (to the signal's number); never null.
const volatile std::sig_atomic_t* interruptFlag();

// Whether `flag` (interruptFlag(), or a test's own; null: none) has been raised.
inline bool raised(const volatile std::sig_atomic_t* flag) { return flag != nullptr && *flag != 0; }

// The exit code for the signal that came: 130 for SIGINT, 143 for SIGTERM.
int interruptExitCode();

// For a command that does not poll the flag: the default actions back, and a signal that came while the
// handler was installed (main installs it before parsing, for run and fuzz) raised again, so it ends the
// process as it would have.
void restoreDefaultInterrupts();

}  // namespace sockspec::process
