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

void addFuzzProtocolOptions(CLI::App& command, const FuzzProtocolTexts& texts, std::string_view serviceHelp) {
  command.add_option("--service", *texts.service, std::string(serviceHelp))
      ->check(CLI::IsMember({"echo", "framed", "any"}));
  command.add_option("--reply-end", *texts.replyEnd,
                     "any: a reply is complete when it ends with these bytes (C escapes: '\\r\\n')");
  command.add_option("--reply", *texts.reply,
                     "any: a reply is complete when it matches this RE2 regex ('^\\+PONG\\r\\n$')");
  command.add_option("--probe", *texts.probe,
                     "any: a request every working server answers (C escapes), sent on a fresh connection after "
                     "an input the server neither answered nor closed: no reply is a hung server");
}

}  // namespace sockspec::cli
