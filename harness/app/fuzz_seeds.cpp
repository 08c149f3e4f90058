#include "app/fuzz_seeds.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "base/file_bytes.h"
#include "base/output_file.h"
#include "base/sys_error.h"

namespace sockspec::app {

namespace {

namespace fs = std::filesystem;

// What one fuzzing run takes from seed folders: libFuzzer reads its whole corpus into memory.
constexpr std::size_t kMaxSeedFiles = 100'000;
constexpr std::size_t kMaxSeedBytes = 256u << 20;

Expected<void, std::string> readSeedFolder(const std::string& folder, FuzzSeeds& seeds, std::size_t& totalBytes) {
  struct stat status {};
  if (::stat(folder.c_str(), &status) != 0) {
    return Unexpected{fmt::format("--seeds {}: {}", folder, SysError{errno, "stat"}.describe())};
  }
  if (!S_ISDIR(status.st_mode)) return Unexpected{fmt::format("--seeds {}: not a folder (ENOTDIR)", folder)};
  std::vector<std::string> files;
  std::error_code error;
  for (fs::directory_iterator entry(folder, error), end; !error && entry != end; entry.increment(error)) {
    std::error_code kindError;
    // Regular files only: a FIFO or a device would block or never end the read.
    if (entry->is_regular_file(kindError)) files.push_back(entry->path().string());
    if (files.size() > kMaxSeedFiles) {
      return Unexpected{fmt::format("--seeds {}: more than {} files", folder, kMaxSeedFiles)};
    }
  }
  if (error) return Unexpected{fmt::format("--seeds {}: {}", folder, SysError{error.value(), "opendir"}.describe())};
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    auto bytes = readFileBytes(file, kMaxSeedBytes - totalBytes);
    if (!bytes) return Unexpected{fmt::format("--seeds {}: {}", file, bytes.error().describe())};
    totalBytes += bytes->size();
    if (totalBytes >= kMaxSeedBytes) {
      return Unexpected{fmt::format("--seeds {}: the seeds come to more than {} MiB", folder, kMaxSeedBytes >> 20)};
    }
    seeds.inputs.emplace_back(bytes->begin(), bytes->end());
  }
  seeds.notes.push_back(fmt::format("--seeds {}: {} seed{}", folder, files.size(), files.size() == 1 ? "" : "s"));
  return {};
}

}  // namespace

Expected<FuzzSeeds, std::string> gatherFuzzSeeds(const FuzzSeedOptions& options) {
  FuzzSeeds seeds;
  std::size_t totalBytes = 0;
  for (const auto& folder : options.folders) {
    if (auto read = readSeedFolder(folder, seeds, totalBytes); !read) return Unexpected{read.error()};
  }
  return seeds;
}

Expected<void, std::string> writeFuzzSeeds(const FuzzSeeds& seeds, blackbox::FuzzWorkerOptions& worker) {
  std::string folder = worker.corpusDir();
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) return Unexpected{fmt::format("{}: {}", folder, SysError{error.value(), "mkdir"}.describe())};
  for (std::size_t i = 0; i < seeds.inputs.size(); ++i) {
    const auto& input = seeds.inputs[i];
    std::string path = fmt::format("{}/given-{}", folder, i);
    if (auto written = writeOutputFile(path, std::string_view(reinterpret_cast<const char*>(input.data()), input.size()));
        !written) {
      return Unexpected{written.error()};
    }
  }
  if (!seeds.dictionary.empty()) {
    worker.dictionary = worker.workDir + "/fuzz.dict";
    if (auto written = writeOutputFile(worker.dictionary, seeds.dictionary); !written) return Unexpected{written.error()};
  }
  return {};
}

}  // namespace sockspec::app
