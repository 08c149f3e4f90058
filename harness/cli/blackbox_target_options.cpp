#include "cli/blackbox_target_options.h"

#include <string>

namespace sockspec::cli {

void addBlackboxTargetOptions(CLI::App& command, app::BlackboxTargetOptions& target, std::string_view commandHelp,
                              std::string_view urlHelp) {
  command.add_option("--target-cmd", target.command, std::string(commandHelp));
  command.add_option("--target", target.url, std::string(urlHelp));
  command
      .add_option("--hang-timeout", target.hangTimeoutMs,
                  "ms of silence (no reply byte and no close) after which an unfinished reply is a hang")
      ->capture_default_str()
      ->check(CLI::Range(10, 600'000));
  command
      .add_option("--ready-timeout", target.readyTimeoutMs,
                  "ms the started server may take to serve (with --target-cmd only)")
      ->capture_default_str()
      ->check(CLI::Range(100, 600'000));
}

}  // namespace sockspec::cli
