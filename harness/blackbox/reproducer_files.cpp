#include "blackbox/reproducer_files.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/errno_names.h"
#include "base/file_bytes.h"

namespace sockspec::blackbox {

namespace {

namespace fs = std::filesystem;

std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : text) {
    hash ^= static_cast<std::uint8_t>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

Expected<void, std::string> writeWhole(const fs::path& path, std::string_view bytes) {
  // Written beside and renamed, so that a reader never sees half a file.
  fs::path partial = path;
  partial += ".partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    if (out) out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return Unexpected{fmt::format("{}: write: {}", partial.string(), errnoName(errno))};
  }
  std::error_code error;
  fs::rename(partial, path, error);
  if (error) return Unexpected{fmt::format("{}: rename: {}", path.string(), error.message())};
  return {};
}

std::string utcNow() {
  auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                     utc.tm_hour, utc.tm_min, utc.tm_sec);
}

bool isSidecar(const fs::path& path) {
  return path.extension() == ".json";
}

}  // namespace

Expected<SavedReproducer, std::string> saveReproducer(const std::string& directory,
                                                      const std::vector<std::uint8_t>& input,
                                                      const ReproducerInfo& info) {
  std::string name =
      fmt::format("{}-{:016x}", findingKindName(info.finding.kind), fnv1a64(info.finding.signature));
  fs::path path = fs::path(directory) / name;
  std::error_code error;
  auto existing = fs::file_size(path, error);
  if (!error && existing <= input.size()) return SavedReproducer{path.string(), true};

  nlohmann::json sidecar{
      {"kind", findingKindName(info.finding.kind)},
      {"detail", info.finding.detail},
      {"signature", info.finding.signature},
      {"service", info.service},
      {"target", info.target},
      {"input_bytes", input.size()},
      {"execs", info.execs},
      {"seconds_into_run", info.secondsIntoRun},
      {"found_at", utcNow()},
      {"replay",
       fmt::format("sockspec replay {} --service {} {}", path.string(), info.service, info.replayOptions)},
  };
  std::string_view bytes(reinterpret_cast<const char*>(input.data()), input.size());
  if (auto written = writeWhole(path, bytes); !written) return Unexpected{written.error()};
  fs::path sidecarPath = path;
  sidecarPath += ".json";
  if (auto written = writeWhole(sidecarPath,
                                sidecar.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
      !written) {
    return Unexpected{written.error()};
  }
  return SavedReproducer{path.string(), false};
}

Expected<LoadedReproducer, std::string> loadReproducer(const std::string& path) {
  LoadedReproducer loaded;
  loaded.path = path;
  auto bytes = readFileBytes(path);
  if (!bytes) return Unexpected{fmt::format("{}: {}", path, bytes.error().describe())};
  loaded.input.assign(bytes->begin(), bytes->end());

  std::string sidecarPath = path + ".json";
  std::ifstream sidecarFile(sidecarPath);
  if (!sidecarFile) return loaded;  // a bare input file is a reproducer too
  auto sidecar = nlohmann::json::parse(sidecarFile, nullptr, false);
  if (sidecar.is_discarded() || !sidecar.is_object()) {
    return Unexpected{fmt::format("{}: not a JSON object (a reproducer's sidecar)", sidecarPath)};
  }
  if (auto service = sidecar.find("service"); service != sidecar.end() && service->is_string()) {
    loaded.service = service->get<std::string>();
  }
  if (auto kind = sidecar.find("kind"); kind != sidecar.end() && kind->is_string()) {
    loaded.kind = kind->get<std::string>();
  }
  return loaded;
}

Expected<std::vector<std::string>, std::string> expandReproducerPaths(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& given : paths) {
    std::error_code error;
    auto status = fs::status(given, error);
    if (error || !fs::exists(status)) return Unexpected{fmt::format("{}: no such file or folder", given)};
    if (!fs::is_directory(status)) {
      files.push_back(given);
      continue;
    }
    std::vector<std::string> inFolder;
    for (const auto& entry : fs::directory_iterator(given, error)) {
      if (entry.is_regular_file() && !isSidecar(entry.path()) && entry.path().extension() != ".partial") {
        inFolder.push_back(entry.path().string());
      }
    }
    if (error) return Unexpected{fmt::format("{}: {}", given, error.message())};
    std::sort(inFolder.begin(), inFolder.end());
    files.insert(files.end(), inFolder.begin(), inFolder.end());
  }
  return files;
}

}  // namespace sockspec::blackbox
