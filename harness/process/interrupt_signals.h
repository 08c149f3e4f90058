// Ctrl-C and SIGTERM for a long command (run, fuzz): the handler only raises a flag, which the work polls
// between steps (a job, a wait), so the command stops promptly, kills what it started, still writes what it
// has, and exits with kExitInterrupted (130). One handler for every command.
#pragma once

#include <csignal>

namespace sockspec::process {

// Installs the handler for SIGINT and SIGTERM (sigaction, no SA_RESTART: a blocking call returns EINTR).
void installInterruptHandlers();

// The flag the handler raises; never null.
const volatile std::sig_atomic_t* interruptFlag();

}  // namespace sockspec::process
