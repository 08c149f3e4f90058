// The server that `fuzz` and `replay` send inputs to, as both command lines give it: --target-cmd,
// --target, --hang-timeout and --ready-timeout, with one meaning and one set of checks for both.
#pragma once

#include <optional>
#include <set>
#include <string>

#include "process/target_session.h"

namespace sockspec::app {

struct BlackboxTargetOptions {
  std::string command;  // --target-cmd
  std::string url;      // --target
  int hangTimeoutMs = 1000;
  int readyTimeoutMs = 10000;

  // The session's spec (blackbox::fuzzTargetSpec): a command without a URL serves at the default
  // tcp://127.0.0.1:{port}.
  process::TargetSpec spec() const;
  // The usage message when neither --target-cmd nor --target is given (`purpose`: "the server to fuzz"), when
  // a --target alone says {port}, which only --target-cmd can fill, or when `given` (the options the command
  // line named) has --ready-timeout without --target-cmd (only a started server is waited for); nothing when
  // the options are fine.
  std::optional<std::string> problem(std::string_view purpose, const std::set<std::string>& given = {}) const;
};

}  // namespace sockspec::app
