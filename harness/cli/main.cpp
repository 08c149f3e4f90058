// sockspec: the command-line front end. Each subcommand lives in its own file as it is built; this file
// only lists them, so that `sockspec --help` shows the whole tool.
#include <cstdio>
#include <functional>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "base/exit_codes.h"
#include "cli/fuzz_command.h"
#include "cli/inspect_command.h"
#include "cli/replay_command.h"
#include "cli/run_command.h"
#include "cli_support/parse_command_line.h"
#include "cli_support/strict_options.h"
#include "process/interrupt_signals.h"

int main(int argc, char** argv) {
  using namespace sockspec;
  // First: run and fuzz end in order on SIGINT/SIGTERM (exit 130/143, nothing left), also when the signal
  // comes while the command line is still being parsed; the other commands get the default action back.
  process::installInterruptHandlers();
  CLI::App app{"sockspec: conformance and fuzz harness for socket programs.\n"
               "Runs executable scenarios about socket(), bind(), listen(), accept(), send()/recv() and close() "
               "against the OS and against servers, captures and inspects their traffic, and fuzzes them.\n"
               "Exit codes: 0 passed, 1 a check failed, 2 bad usage or input, 3 sockspec itself failed.",
               "sockspec"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("sockspec ") + SOCKSPEC_VERSION);
  auto runCommand = cli::addRunCommand(app);
  auto inspectCommand = cli::addInspectCommand(app);
  auto fuzzCommand = cli::addFuzzCommand(app);
  auto replayCommand = cli::addReplayCommand(app);
  auto fuzzWorkerCommand = cli::addFuzzWorkerCommand(app);
  cli_support::refuseEmptyValuesAndFlagValues(app);
  // CLI11 would say "A subcommand is required" without the word it did not know.
  auto named = [&](CLI::App* command) { return command->check_name(argv[1]); };
  if (argc > 1 && argv[1][0] != '-' && app.get_subcommands(named).empty()) {
    std::fprintf(stderr, "sockspec: '%s' is not a command: run, inspect, fuzz or replay (run 'sockspec --help')\n",
                 argv[1]);
    return kExitUsage;
  }
  if (auto exitCode = cli_support::parseCommandLine(app, argc, argv, [&app](const CLI::ParseError& error) -> int {
        // The help that lists the option at fault: the command's, once its name was read.
        auto commands = app.get_subcommands();
        std::string help = commands.empty() ? "sockspec --help" : "sockspec " + commands.front()->get_name() + " --help";
        std::fprintf(stderr, "sockspec: %s (run '%s')\n", error.what(), help.c_str());
        return kExitUsage;
      })) {
    return *exitCode;
  }
  for (CLI::App* command : app.get_subcommands()) {
    if (command->get_name() == "run") return runCommand();
    if (command->get_name() == "fuzz") return fuzzCommand();
    if (command->get_name() == "fuzz-worker") return fuzzWorkerCommand();
    process::restoreDefaultInterrupts();
    if (command->get_name() == "inspect") return inspectCommand();
    if (command->get_name() == "replay") return replayCommand();
  }
  return kExitUsage;
}
