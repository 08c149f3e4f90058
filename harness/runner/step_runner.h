// Executes one scenario step against the kernel. Calls are made as the scenario wrote them (blocking
// sockets stay blocking), but every call that could block is bounded by the step's deadline through
// SO_RCVTIMEO / SO_SNDTIMEO, and "-> blocks" is checked without waiting (MSG_DONTWAIT or O_NONBLOCK).
#pragma once

#include <chrono>
#include <string>

#include "base/expected.h"
#include "runner/scenario_sockets.h"
#include "runner/step_outcome.h"
#include "scenario/scenario.h"

namespace sockspec::runner {

inline constexpr std::chrono::milliseconds kDefaultStepDeadline{2000};

// The outcome of the step, or why it could not be attempted at all (a scenario error, not a kernel result:
// "peer 'srv' has no address yet: bind or listen it first").
Expected<StepOutcome, std::string> runStep(const scenario::Step& step, ScenarioSockets& sockets);

}  // namespace sockspec::runner
