// The read verbs as steps (read-line, read-until, read, read-eof, read-prefixed): a step's arguments become
// a read of runner/reply_reader.h, and the read becomes the step's outcome, worded for its messages.
#pragma once

#include <chrono>

#include "runner/step_outcome.h"
#include "scenario/scenario.h"

namespace sockspec::runner {

// Reads from `fd` (a connected byte stream) as `step` says, within `deadline`. The outcome holds the bytes
// read; a read cut short says why in `incomplete` (EOF, the limit) or fails with EAGAIN (the deadline, the
// bytes so far in `note`) or the errno of recv(2).
StepOutcome runReadStep(const scenario::Step& step, int fd, std::chrono::milliseconds deadline);

}  // namespace sockspec::runner
