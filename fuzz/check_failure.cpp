#include "check_failure.h"

#include <cstdio>
#include <cstdlib>

#include "base/exit_codes.h"

namespace sockspec::fuzz {

void checkFailed(std::string_view target, std::string_view message) {
  std::fprintf(stderr, "%.*s: check failed: %.*s\n", static_cast<int>(target.size()), target.data(),
               static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
  std::abort();
}

void setupFailed(std::string_view target, std::string_view message) {
  std::fprintf(stderr, "%.*s: %.*s\n", static_cast<int>(target.size()), target.data(),
               static_cast<int>(message.size()), message.data());
  std::exit(kExitInternal);
}

}  // namespace sockspec::fuzz
