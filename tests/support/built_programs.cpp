#include "support/built_programs.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>

#include <catch2/catch.hpp>

namespace sockspec::testing {

// The build system passes each program's real location ($<TARGET_FILE:...>), so no path is guessed here.
std::string serverBinary() { return SOCKSPEC_SERVER_BINARY; }
std::string clientBinary() { return SOCKSPEC_CLIENT_BINARY; }
std::string sockspecBinary() { return SOCKSPEC_CLI_BINARY; }
std::string sourceDir() { return SOCKSPEC_SOURCE_DIR; }

process::ListeningTarget startReferenceServer(const std::string& listenUrl, const std::string& service,
                                              const std::vector<std::string>& extra) {
  std::vector<std::string> argv{serverBinary(), "--listen", listenUrl, "--service", service};
  argv.insert(argv.end(), extra.begin(), extra.end());
  process::SpawnOptions options;
  options.captureStderr = true;
  auto started = process::startListeningTarget(argv, Deadline::after(std::chrono::seconds(10)), options);
  if (!started) FAIL("could not start the reference server: " << started.error());
  return std::move(*started);
}

namespace {
// One directory per test process, removed when the process ends.
struct TempDirectory {
  std::filesystem::path path;
  TempDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sockspec-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path = pattern;
  }
  ~TempDirectory() {
    std::error_code ignored;
    if (!path.empty()) std::filesystem::remove_all(path, ignored);
  }
};
}  // namespace

std::string tempSocketPath(const std::string& stem) { return tempFilePath(stem, ".sock"); }

std::string tempFilePath(const std::string& stem, const std::string& suffix) {
  static TempDirectory directory;
  static std::atomic<int> counter{0};
  return (directory.path / (stem + "-" + std::to_string(counter++) + suffix)).string();
}

PrivateTemp::PrivateTemp() : path(tempFilePath("tmpdir")) { std::filesystem::create_directories(path); }

bool PrivateTemp::empty() const { return std::filesystem::is_empty(path); }

}  // namespace sockspec::testing
