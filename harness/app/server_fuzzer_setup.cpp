#include "app/server_fuzzer_setup.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <optional>

#include "app/fuzz_seeds.h"
#include "base/output_file.h"
#include "base/sys_error.h"
#include "base/temp_directory.h"
#include "blackbox/fuzz_protocol.h"
#include "blackbox/server_fuzz_target.h"
#include "blackbox/service_model.h"

namespace sockspec::app {

namespace {

bool isFolder(const std::string& path) {
  struct stat status {};
  return ::stat(path.c_str(), &status) == 0 && S_ISDIR(status.st_mode);
}

// The value of libFuzzer flag `-name=` among `arguments`, and where it is; the last one counts, as in
// libFuzzer's own parsing (compiler-rt FuzzerDriver.cpp, ParseFlags).
std::optional<std::size_t> findFlag(const std::vector<std::string>& arguments, std::string_view name) {
  std::string prefix = fmt::format("-{}=", name);
  for (std::size_t i = arguments.size(); i-- > 1;) {
    if (arguments[i].starts_with(prefix)) return i;
  }
  return std::nullopt;
}

Expected<void, std::string> writeBytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  return writeOutputFile(path, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace

Expected<std::vector<std::string>, std::string> startServerFuzzer(const ServerFuzzerOptions& options,
                                                                  std::vector<std::string> arguments) {
  auto protocol = blackbox::makeFuzzProtocol(options.service, options.replyEnd, options.reply, options.probe);
  if (!protocol) return Unexpected{protocol.error()};
  auto work = TempDirectory::create("server-fuzzer");
  if (!work) return Unexpected{"cannot make a temporary folder: " + work.error()};

  // Fuzzing or merging: libFuzzer's positional arguments are corpus folders. A run of single inputs (a
  // reproduction) is left as it is: a folder added to it would turn it into fuzzing.
  std::vector<std::string> folders;
  for (std::size_t i = 1; i < arguments.size(); ++i) {
    if (!arguments[i].starts_with("-") && isFolder(arguments[i])) folders.push_back(arguments[i]);
  }
  if (!folders.empty()) {
    auto dictionaryAt = findFlag(arguments, "dict");
    FuzzSeedOptions seedOptions;
    seedOptions.folders = folders;
    seedOptions.captures = options.captures;
    if (dictionaryAt)
      seedOptions.dictionary = arguments[*dictionaryAt].substr(std::string_view("-dict=").size());
    seedOptions.setTarget(options.target.spec().url, *protocol);
    auto seeds = gatherFuzzSeeds(seedOptions);
    if (!seeds) return Unexpected{seeds.error()};
    std::vector<std::vector<std::uint8_t>> own(
        seeds->inputs.begin() + static_cast<std::ptrdiff_t>(seeds->fromFolders), seeds->inputs.end());
    auto builtIn = blackbox::seedInputs(*protocol);
    own.insert(own.end(), builtIn.begin(), builtIn.end());
    if (!own.empty()) {
      std::string folder = work->path() + "/seeds";
      if (::mkdir(folder.c_str(), 0700) != 0) {
        return Unexpected{fmt::format("{}: {}", folder, SysError{errno, "mkdir"}.describe())};
      }
      for (std::size_t i = 0; i < own.size(); ++i) {
        if (auto written = writeBytes(fmt::format("{}/seed-{}", folder, i), own[i]); !written) {
          return Unexpected{written.error()};
        }
      }
      arguments.push_back(folder);
    }
    if (!seeds->dictionary.empty()) {
      std::string path = work->path() + "/fuzz.dict";
      if (auto written = writeOutputFile(path, seeds->dictionary); !written)
        return Unexpected{written.error()};
      std::string flag = "-dict=" + path;
      if (dictionaryAt) {
        arguments[*dictionaryAt] = flag;
      } else {
        arguments.insert(arguments.begin() + 1, flag);
      }
    }
    // As `sockspec fuzz` runs libFuzzer (blackbox/fuzz_engine.cpp): inputs as long as -max_len from the
    // start, since the reply features keep coming for short ones and libFuzzer's length control would wait.
    if (!findFlag(arguments, "max_len")) arguments.insert(arguments.begin() + 1, "-max_len=4096");
    if (!findFlag(arguments, "len_control")) arguments.insert(arguments.begin() + 1, "-len_control=0");
    // libFuzzer's leak detection is for a target in its own process; ours is the server. Under LeakSanitizer
    // it runs again every input after which this process holds more allocations (compiler-rt
    // FuzzerLoop.cpp, TryDetectingAMemoryLeak): the server would get those inputs twice.
    if (!findFlag(arguments, "detect_leaks")) arguments.insert(arguments.begin() + 1, "-detect_leaks=0");
  }

  blackbox::ServerFuzzTargetOptions target;
  target.target = options.target.spec();
  target.protocol = std::move(*protocol);
  target.hangTimeout = std::chrono::milliseconds(options.target.hangTimeoutMs);
  target.noCoverage = options.noCoverage;
  if (auto started = blackbox::startServerFuzzTarget(std::move(target), std::move(*work)); !started) {
    return Unexpected{started.error()};
  }
  // Grey-box: how close each of the server's failed comparisons came is a feature too (as in sockspec fuzz).
  if (blackbox::serverFuzzTargetGreyBox() && !findFlag(arguments, "use_value_profile")) {
    arguments.insert(arguments.begin() + 1, "-use_value_profile=1");
  }
  return arguments;
}

}  // namespace sockspec::app
