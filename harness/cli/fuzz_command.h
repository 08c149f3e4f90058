// `sockspec fuzz`: black-box fuzzing of a server reached over a socket (docs/fuzzing-black-box.md). The
// command checks its options, runs the fuzzing worker (blackbox/fuzz_engine.h) as a child process bounded
// by --max-time, then lists the reproducers it wrote; exit 1 when it found something, 0 when not.
// Defined in fuzz_command.cpp, or, in a build without libFuzzer, in fuzz_command_unavailable.cpp (the build
// picks one).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sockspec::cli {

// Adds the subcommand to `app`; the returned function runs it after parsing and gives the exit code.
std::function<int()> addFuzzCommand(CLI::App& app);
// The hidden `fuzz-worker DIR` subcommand that `fuzz` starts (app/fuzz_run.h); its function never returns.
std::function<int()> addFuzzWorkerCommand(CLI::App& app);

}  // namespace sockspec::cli
