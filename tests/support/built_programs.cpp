#include "support/built_programs.h"

#include <unistd.h>

#include <atomic>
#include <filesystem>

#include <catch2/catch.hpp>

namespace sockspec::testing {

std::string serverBinary() { return std::string(SOCKSPEC_BINARY_DIR) + "/targets/server/sockspec-server"; }
std::string clientBinary() { return std::string(SOCKSPEC_BINARY_DIR) + "/targets/client/sockspec-client"; }
std::string sockspecBinary() { return std::string(SOCKSPEC_BINARY_DIR) + "/harness/cli/sockspec"; }
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

std::string tempSocketPath(const std::string& stem) {
  static TempDirectory directory;
  static std::atomic<int> counter{0};
  return (directory.path / (stem + "-" + std::to_string(counter++) + ".sock")).string();
}

}  // namespace sockspec::testing
