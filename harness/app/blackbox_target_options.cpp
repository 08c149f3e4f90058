#include "app/blackbox_target_options.h"

#include <fmt/format.h>

#include "blackbox/fuzz_target.h"

namespace sockspec::app {

process::TargetSpec BlackboxTargetOptions::spec() const {
  return blackbox::fuzzTargetSpec(url, command, readyTimeoutMs, hangTimeoutMs);
}

std::optional<std::string> BlackboxTargetOptions::problem(std::string_view purpose,
                                                          const std::set<std::string>& given) const {
  if (command.empty() && url.empty()) return fmt::format("--target-cmd CMD or --target URL is required ({})", purpose);
  if (command.empty() && url.find(process::kPortPlaceholder) != std::string::npos) {
    return fmt::format("--target {}: {} needs --target-cmd, which is given the port", url, process::kPortPlaceholder);
  }
  if (command.empty() && given.count("--ready-timeout") != 0) {
    return std::string("--ready-timeout goes with --target-cmd: it is how long a started server may take, and "
                       "--target alone starts none");
  }
  return std::nullopt;
}

}  // namespace sockspec::app
