// `sockspec fuzz` in a sockspec built without libFuzzer (harness/CMakeLists.txt compiles this file instead of
// fuzz_command.cpp when libclang_rt.fuzzer_no_main is not found, or SOCKSPEC_BLACKBOX_FUZZING=OFF). The
// subcommand stays listed and takes any arguments, so that a command line written for a full build gets this
// message rather than a parse error about an option it did not know; exit 2, like any other unusable request.
#include <cstdio>

#include "base/exit_codes.h"
#include "cli/fuzz_command.h"

namespace sockspec::cli {

std::function<int()> addFuzzCommand(CLI::App& app) {
  CLI::App* fuzz = app.add_subcommand(
      "fuzz", "fuzz a server (not in this build: it was built without libFuzzer)");
  fuzz->allow_extras();
  return []() -> int {
    std::fprintf(
        stderr,
        "sockspec fuzz: this sockspec was built without libFuzzer (libclang-rt-14-dev); rebuild with it "
        "to fuzz\n");
    return kExitUsage;
  };
}

std::function<int()> addFuzzWorkerCommand(CLI::App& app) {
  CLI::App* worker = app.add_subcommand("fuzz-worker", "the worker process of sockspec fuzz (internal)");
  worker->group("");
  worker->allow_extras();
  return []() -> int {
    std::fprintf(stderr, "sockspec fuzz-worker: this sockspec was built without libFuzzer\n");
    return kExitUsage;
  };
}

}  // namespace sockspec::cli
