// One chaos trial: a sockspec command started as a user would start it (its own working folder, a private
// TMPDIR, its outputs in one folder), interrupted with a signal at a chosen moment, and then everything it
// could have left behind audited with Catch2 checks: its exit (the documented code, within 1 s of SIGINT or
// SIGTERM), processes, sockets, network namespaces, temporary and working files, and its outputs (every
// report parses, every capture is read by `sockspec inspect`, nothing half-written or hidden). After SIGKILL
// the command can clean nothing; the next command's sweep must (docs/exit-codes.md), so the trial runs one.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace sockspec::testing {

struct CommandUnderChaos {
  std::string name;                    // for messages: "run", "run --capture", "target mode", "fuzz"
  std::vector<std::string> arguments;  // after the sockspec binary; "{out}" stands for the outputs folder
  std::chrono::milliseconds span;      // interrupt points are drawn from [0, span)
};

struct InterruptPoint {
  int signal = 0;  // SIGINT, SIGTERM or SIGKILL
  std::chrono::milliseconds after{0};
  bool twice = false;  // the signal again 50 ms later, as an impatient user presses Ctrl-C twice
  std::string describe() const;
};

// Runs the trial; failures are reported through Catch2 with the command, the point and what was left.
void runInterruptTrial(const CommandUnderChaos& command, const InterruptPoint& point);

}  // namespace sockspec::testing
