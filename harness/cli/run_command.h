// `sockspec run`: runs scenario files (or the default suite) and reports. Options are defined once in
// addRunCommand; docs/running.md describes them.
#pragma once

#include <CLI/CLI.hpp>

namespace sockspec::cli {

struct RunOptions;

// Adds the subcommand to `app`; the returned function runs it after parsing and gives the exit code.
std::function<int()> addRunCommand(CLI::App& app);

}  // namespace sockspec::cli
