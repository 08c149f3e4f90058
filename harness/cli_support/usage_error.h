// How every sockspec command reports bad usage: one line "sockspec COMMAND: message" on stderr, and the
// usage exit code (docs/exit-codes.md).
#pragma once

#include <cstdio>
#include <string_view>

#include "base/exit_codes.h"

namespace sockspec::cli_support {

// Prints "<program>: <message>" and returns kExitUsage, e.g. usageError("sockspec run", "--filter ...").
inline int usageError(std::string_view program, std::string_view message) {
  std::fprintf(stderr, "%.*s: %.*s\n", static_cast<int>(program.size()), program.data(),
               static_cast<int>(message.size()), message.data());
  return kExitUsage;
}

}  // namespace sockspec::cli_support
