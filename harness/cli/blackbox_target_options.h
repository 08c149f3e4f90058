// The options `fuzz` and `replay` share for the server they send inputs to, bound once.
#pragma once

#include <string_view>

#include <CLI/CLI.hpp>

#include "app/blackbox_target_options.h"

namespace sockspec::cli {

// --target-cmd and --target (with each command's own help text), --hang-timeout and --ready-timeout.
void addBlackboxTargetOptions(CLI::App& command, app::BlackboxTargetOptions& target, std::string_view commandHelp,
                              std::string_view urlHelp);

// --service (echo, framed or any; required for fuzz, a default from the sidecars for replay) and the reply
// options of any (--reply-end, --reply, --probe), the same for fuzz and replay (blackbox/fuzz_protocol.h).
struct FuzzProtocolTexts {
  std::string* service;
  std::string* replyEnd;
  std::string* reply;
  std::string* probe;
};
void addFuzzProtocolOptions(CLI::App& command, const FuzzProtocolTexts& texts, std::string_view serviceHelp);

}  // namespace sockspec::cli
