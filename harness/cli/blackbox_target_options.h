// The options `fuzz` and `replay` share for the server they send inputs to, bound once.
#pragma once

#include <string_view>

#include <CLI/CLI.hpp>

#include "app/blackbox_target_options.h"

namespace sockspec::cli {

// --target-cmd and --target (with each command's own help text), --hang-timeout and --ready-timeout.
void addBlackboxTargetOptions(CLI::App& command, app::BlackboxTargetOptions& target, std::string_view commandHelp,
                              std::string_view urlHelp);

}  // namespace sockspec::cli
