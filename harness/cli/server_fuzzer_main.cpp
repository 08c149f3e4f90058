// sockspec-server-fuzzer: `sockspec fuzz` as a libFuzzer program of one's own, for ClusterFuzzLite and
// OSS-Fuzz (docs/fuzzing-black-box.md, "ClusterFuzzLite"). Its command line is libFuzzer's; what to fuzz
// comes from an options file (cli/options_file.h): $SOCKSPEC_SERVER_FUZZER_OPTIONS, else the program's own
// path with ".sockspec" added ($OUT/myserver_fuzzer.sockspec beside $OUT/myserver_fuzzer). The file takes
// the target options of `sockspec fuzz` (--target-cmd, --target, --service, --reply-end, --reply, --probe,
// --hang-timeout, --ready-timeout) and --seeds-from (repeatable). This file only binds them:
// app/server_fuzzer_setup.h prepares the run, blackbox/server_fuzz_target.h runs the inputs.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "app/server_fuzzer_setup.h"
#include "base/exit_codes.h"
#include "blackbox/server_fuzz_target.h"
#include "cli/blackbox_target_options.h"
#include "cli/options_file.h"
#include "cli_support/strict_options.h"

namespace {

using namespace sockspec;

constexpr const char* kOptionsVariable = "SOCKSPEC_SERVER_FUZZER_OPTIONS";
constexpr std::string_view kFileOptions =
    "--target-cmd, --target, --service, --reply-end, --reply, --probe, --hang-timeout, --ready-timeout, "
    "--seeds-from, --no-coverage";

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "sockspec-server-fuzzer: %s\n", message.c_str());
  std::exit(kExitUsage);
}

std::string optionsPath(const char* argv0) {
  if (const char* named = std::getenv(kOptionsVariable); named != nullptr && *named != '\0') return named;
  std::string self = argv0 != nullptr ? argv0 : "";
  if (self.find('/') == std::string::npos) {
    // Found through PATH: the program's own file.
    char buffer[4096];
    ssize_t length = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
    if (length <= 0) fail(fmt::format("cannot tell where the options file is: set {}", kOptionsVariable));
    self.assign(buffer, static_cast<std::size_t>(length));
  }
  return self + ".sockspec";
}

app::ServerFuzzerOptions readOptions(const std::string& path) {
  auto lines = cli::readOptionsFile(path);
  if (!lines) {
    fail(fmt::format(
        "{}\n  the options file says what to fuzz, one option per line ({}); it is this program's "
        "path with .sockspec added, or {}",
        lines.error(), kFileOptions, kOptionsVariable));
  }
  app::ServerFuzzerOptions options;
  CLI::App command("the options file of sockspec-server-fuzzer", "sockspec-server-fuzzer");
  cli::addBlackboxTargetOptions(command, options.target, "start the server with this shell command ({port})",
                                "the server's URL; with --target-cmd it may say {port}");
  cli::addFuzzProtocolOptions(command, {&options.service, &options.replyEnd, &options.reply, &options.probe},
                              "echo, framed or any");
  command.add_flag("--no-coverage", options.noCoverage, "black-box even when the server has the coverage runtime");
  cli_support::refuseEmptyValuesAndFlagValues(command);
  std::set<std::string> given;
  // One line at a time, so that an error names its line.
  for (const auto& line : *lines) {
    std::string where = fmt::format("{}:{}", path, line.line);
    if (line.name == "--seeds-from") {
      if (!line.value) fail(fmt::format("{}: --seeds-from needs a capture file", where));
      options.captures.push_back(*line.value);
      continue;
    }
    if (command.get_option_no_throw(line.name) == nullptr || line.name == "--help") {
      fail(fmt::format("{}: unknown option {} (the file takes {})", where, line.name, kFileOptions));
    }
    if (!given.insert(line.name).second) fail(fmt::format("{}: {} is given twice", where, line.name));
    std::vector<std::string> arguments;  // CLI11 takes them last first
    if (line.value) arguments.push_back(*line.value);
    arguments.push_back(line.name);
    try {
      command.parse(arguments);
    } catch (const CLI::ParseError& error) {
      fail(fmt::format("{}: {}: {}", where, line.name, error.what()));
    }
  }
  if (options.service.empty()) fail(fmt::format("{}: --service is missing (echo, framed or any)", path));
  if (auto problem = options.target.problem("the server to fuzz", given))
    fail(fmt::format("{}: {}", path, *problem));
  return options;
}

}  // namespace

// libFuzzer calls it before it reads its flags, and runs with the arguments as left here (compiler-rt
// FuzzerDriver.cpp): so the seeds and the dictionary can be added to them.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  static std::vector<std::string> arguments;
  static std::vector<char*> pointers;
  std::string path = optionsPath(*argc > 0 ? (*argv)[0] : nullptr);
  auto options = readOptions(path);
  auto prepared = app::startServerFuzzer(options, std::vector<std::string>(*argv, *argv + *argc));
  if (!prepared) fail(fmt::format("{}: {}", path, prepared.error()));
  arguments = std::move(*prepared);
  for (auto& argument : arguments) pointers.push_back(argument.data());
  pointers.push_back(nullptr);
  *argc = static_cast<int>(arguments.size());
  *argv = pointers.data();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return blackbox::serverFuzzTargetInput(data, size);
}

// libFuzzer's own mutations (compiler-rt FuzzerInterface.h), and our mutator in their stead.
extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t maxSize);
extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t maxSize,
                                               unsigned int seed) {
  return blackbox::serverFuzzTargetMutate(data, size, maxSize, seed, LLVMFuzzerMutate);
}
