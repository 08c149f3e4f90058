#include "runner/suite_files.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "base/errno_names.h"

namespace sockspec::runner {

namespace fs = std::filesystem;

namespace {
std::string describe(const std::error_code& error) {
  return fmt::format("{} ({})", errnoName(error.value()), error.message());
}
}  // namespace

Expected<std::vector<std::string>, std::string> collectScenarioFiles(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& path : paths) {
    std::error_code error;
    auto status = fs::status(path, error);
    if (error) return Unexpected{fmt::format("{}: {}", path, describe(error))};
    if (fs::is_regular_file(status)) {
      files.push_back(path);
      continue;
    }
    if (!fs::is_directory(status)) return Unexpected{fmt::format("{}: not a file or folder", path)};
    fs::recursive_directory_iterator walk(path, fs::directory_options::skip_permission_denied, error);
    if (error) return Unexpected{fmt::format("{}: {}", path, describe(error))};
    // Bounded: the walk does not follow links to folders. The error_code forms throughout: a link to itself
    // in the folder made the throwing is_regular_file() end the program (exit 134).
    for (; walk != fs::recursive_directory_iterator(); walk.increment(error)) {
      if (error) return Unexpected{fmt::format("{}: {}", path, describe(error))};
      if (walk->path().extension() != ".scn") continue;
      bool regular = walk->is_regular_file(error);
      if (error) return Unexpected{fmt::format("{}: {}", walk->path().string(), describe(error))};
      if (regular) files.push_back(walk->path().string());
    }
    if (error) return Unexpected{fmt::format("{}: {}", path, describe(error))};
  }
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

Expected<std::string, std::string> defaultSuiteDirectory() {
  if (const char* fromEnvironment = std::getenv("SOCKSPEC_SUITE_DIR"); fromEnvironment != nullptr && *fromEnvironment) {
    return std::string(fromEnvironment);
  }
  std::error_code error;
  fs::path program = fs::read_symlink("/proc/self/exe", error);
  if (!error) {
    fs::path installed = program.parent_path().parent_path() / "share" / "sockspec" / "suites" / "default";
    if (fs::is_directory(installed, error)) return installed.string();
  }
  fs::path source = fs::path(SOCKSPEC_SOURCE_SUITE_DIR);
  if (fs::is_directory(source, error)) return source.string();
  return Unexpected{std::string("the default suite is not installed (share/sockspec/suites/default) and "
                                "SOCKSPEC_SUITE_DIR is not set; give scenario files or folders instead")};
}

}  // namespace sockspec::runner
