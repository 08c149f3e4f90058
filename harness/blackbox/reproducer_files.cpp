#include "blackbox/reproducer_files.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/file_bytes.h"
#include "base/output_file.h"

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

std::string reproducerPath(const std::string& directory, const Finding& finding) {
  return (fs::path(directory) / fmt::format("{}-{:016x}", findingKindName(finding.kind), fnv1a64(finding.signature)))
      .string();
}

Expected<SavedReproducer, std::string> saveReproducer(const std::string& directory,
                                                      const std::vector<std::uint8_t>& input,
                                                      const ReproducerInfo& info) {
  fs::path path = reproducerPath(directory, info.finding);
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
      {"stays_open_is_hang", info.staysOpenIsHang},
      {"found_at", utcNow()},
      {"replay",
       fmt::format("sockspec replay {} --service {} {}", path.string(), info.service, info.replayOptions)},
  };
  if (!info.finding.report.empty()) sidecar["sanitizer_report"] = info.finding.report;
  if (info.service == "any") {
    // Bytes as numbers: a JSON string must be UTF-8, and a probe need not be.
    nlohmann::json probe = nlohmann::json::array();
    for (char byte : info.probe) probe.push_back(static_cast<std::uint8_t>(byte));
    sidecar["probe_bytes"] = probe;
    sidecar["datagram"] = info.datagram;
  }
  std::string_view bytes(reinterpret_cast<const char*>(input.data()), input.size());
  // Whole or not at all, and never replacing what is not a file (base/output_file.h).
  if (auto written = writeOutputFile(path.string(), bytes); !written) return Unexpected{written.error()};
  if (auto written = writeOutputFile(path.string() + ".json",
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
  if (auto open = sidecar.find("stays_open_is_hang"); open != sidecar.end() && open->is_boolean()) {
    loaded.staysOpenIsHang = open->get<bool>();
  }
  if (auto datagram = sidecar.find("datagram"); datagram != sidecar.end() && datagram->is_boolean()) {
    loaded.datagram = datagram->get<bool>();
  }
  if (auto probe = sidecar.find("probe_bytes"); probe != sidecar.end() && probe->is_array()) {
    for (const auto& byte : *probe) {
      if (!byte.is_number_unsigned() || byte.get<std::uint64_t>() > 255) {
        return Unexpected{fmt::format("{}: probe_bytes: expected numbers 0 to 255", sidecarPath)};
      }
      loaded.probe.push_back(static_cast<char>(byte.get<std::uint8_t>()));
    }
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
      // A sidecar named where its reproducer was meant (`replay art/crash-*` names both): the reproducer, once.
      fs::path reproducer = fs::path(given).replace_extension();
      bool sidecar = isSidecar(given) && fs::is_regular_file(reproducer, error);
      std::string file = sidecar ? reproducer.string() : given;
      if (std::find(files.begin(), files.end(), file) == files.end()) files.push_back(file);
      continue;
    }
    std::vector<std::string> inFolder;
    for (const auto& entry : fs::directory_iterator(given, error)) {
      // Hidden names are writeOutputFile's files in progress.
      bool hidden = entry.path().filename().string().rfind('.', 0) == 0;
      if (entry.is_regular_file() && !isSidecar(entry.path()) && !hidden && entry.path().extension() != ".partial") {
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
