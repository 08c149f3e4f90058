#include "cli/inspect_command.h"

#include <cstdio>
#include <exception>
#include <memory>

#include "app/inspect_captures.h"
#include "base/exit_codes.h"
#include "cli_support/usage_error.h"

namespace sockspec::cli {

namespace {

int inspect(const app::InspectOptions& options) {
  auto outcome = app::inspectCaptures(options, stdout, stderr);
  if (!outcome) return cli_support::usageError("sockspec inspect", outcome.error());
  return outcome->anyFileFailed ? kExitUsage : kExitOk;
}

}  // namespace

std::function<int()> addInspectCommand(CLI::App& app) {
  auto settings = std::make_shared<app::InspectOptions>();
  CLI::App* command = app.add_subcommand(
      "inspect", "summarise the TCP and UDP flows of pcap/pcapng captures (docs/inspect.md)");
  command->add_option("files", settings->files, "pcap or pcapng files")->required();
  command->add_flag("--json", settings->json, "print a JSON document instead of text");
  command->add_option("--flow", settings->flow, "show only flow N (numbered from 1 in order of first packet)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 40));
  command->add_flag("--timeline", settings->timeline, "draw the --flow packet by packet as a ladder");
  command->add_option("--host", settings->hosts, "keep only packets to or from this address (repeatable)");
  command->add_option("--port", settings->ports, "keep only packets to or from this port (repeatable)")
      ->check(CLI::Range(0, 65535));
  return [settings]() {
    try {
      return inspect(*settings);
    } catch (const std::exception& error) {
      std::fprintf(stderr, "sockspec inspect: internal error: %s\n", error.what());
      return static_cast<int>(kExitInternal);
    }
  };
}

}  // namespace sockspec::cli
