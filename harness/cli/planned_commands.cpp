#include "cli/planned_commands.h"

#include <array>
#include <cstdio>

#include "base/exit_codes.h"

namespace sockspec::cli {

namespace {

struct PlannedCommand {
  std::string_view name;
  std::string_view help;
  std::string_view issue;
};

constexpr std::array kPlanned{
    PlannedCommand{"fuzz", "black-box fuzz a server started from a command line (not yet available)",
                   "#5 (fuzzing)"},
    PlannedCommand{"replay", "send a fuzzing reproducer to a server again (not yet available)", "#5 (fuzzing)"},
};

}  // namespace

void addPlannedCommands(CLI::App& app) {
  for (const auto& command : kPlanned) {
    CLI::App* sub = app.add_subcommand(std::string(command.name), std::string(command.help));
    sub->allow_extras();  // its options are not defined yet; say so instead of failing on them
  }
}

int runPlannedCommand(std::string_view name) {
  for (const auto& command : kPlanned) {
    if (command.name != name) continue;
    std::fprintf(stderr, "sockspec %.*s: not available in this version; it arrives with issue %.*s\n",
                 static_cast<int>(name.size()), name.data(), static_cast<int>(command.issue.size()),
                 command.issue.data());
    return kExitUsage;
  }
  return kExitUsage;
}

}  // namespace sockspec::cli
