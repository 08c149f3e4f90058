// Running a sockspec program to its end the way a user would: arguments, bytes on standard input, and a
// deadline; the result is how it ended and everything it printed. Nothing is left running: a program still
// going at the deadline is stopped (SIGTERM, then SIGKILL) and reaped.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "process/child_process.h"

namespace sockspec::testing {

struct ProgramRun {
  std::optional<process::ExitStatus> status;  // nullopt: still running at the deadline (it was then killed)
  process::ExitStatus stopped;                // how it ended when it had to be stopped
  std::string out;
  std::string err;

  bool exitedWith(int code) const { return status && status->exited && status->code == code; }
  // The exit status or "still running at the deadline", then stderr, for INFO().
  std::string describe() const;
};

// Spawns `argv` (argv[0] is a path) with `input` on its stdin and collects stdout and stderr until it exits
// or `limit` passes. Stdin is written from its own thread while stdout and stderr are drained, so a program
// that echoes a large input to stdout cannot deadlock against the test. FAILs the test if spawning fails.
ProgramRun runProgram(const std::vector<std::string>& argv, std::string_view input = {},
                      std::chrono::milliseconds limit = std::chrono::seconds(20));

// The lines of `text` split at '\n' (a trailing '\r' kept); a final line without '\n' is kept too.
std::vector<std::string> splitLines(std::string_view text);

}  // namespace sockspec::testing
