// `sockspec inspect`: summarises the TCP and UDP flows of pcap/pcapng files, or draws one flow as a ladder.
// Options are defined once in addInspectCommand; docs/inspect.md describes them and the output.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sockspec::cli {

// Adds the subcommand to `app`; the returned function runs it after parsing and gives the exit code.
std::function<int()> addInspectCommand(CLI::App& app);

}  // namespace sockspec::cli
