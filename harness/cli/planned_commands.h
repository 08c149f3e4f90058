// The subcommands whose implementation has not landed yet. They are listed in --help so that users see the
// whole tool; running one says which issue brings it and exits 2. Each moves to its own file when built.
#pragma once

#include <string_view>

#include <CLI/CLI.hpp>

namespace sockspec::cli {

void addPlannedCommands(CLI::App& app);
int runPlannedCommand(std::string_view name);

}  // namespace sockspec::cli
