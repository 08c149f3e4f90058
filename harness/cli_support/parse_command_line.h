// Command-line parsing shared by sockspec, sockspec-server and sockspec-client: CLI11 reports --help and
// --version by throwing, and each program must turn that, and a bad command line, into its exit code.
#pragma once

#include <functional>
#include <optional>

#include <CLI/CLI.hpp>

namespace sockspec::cli_support {

// Parses argv into `app`. Nothing when the program goes on; otherwise the exit code for main() to return:
// 0 once --help, --help-all or --version printed their text (CLI::App::exit), or what `onUsageError`
// returned after reporting a bad command line in the program's own words.
[[nodiscard]] std::optional<int> parseCommandLine(
    CLI::App& app, int argc, char** argv, const std::function<int(const CLI::ParseError&)>& onUsageError);

}  // namespace sockspec::cli_support
