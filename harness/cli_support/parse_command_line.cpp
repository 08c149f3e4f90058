#include "cli_support/parse_command_line.h"

namespace sockspec::cli_support {

std::optional<int> parseCommandLine(CLI::App& app, int argc, char** argv,
                                    const std::function<int(const CLI::ParseError&)>& onUsageError) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // CallForHelp, CallForAllHelp and CallForVersion end parsing with CLI::ExitCodes::Success.
    if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(error);
    return onUsageError(error);
  }
  return std::nullopt;
}

}  // namespace sockspec::cli_support
