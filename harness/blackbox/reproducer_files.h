// Reproducers on disk (docs/fuzzing-black-box.md): one finding is two files in the artifacts folder,
//   <kind>-<16 hex digits>        the raw bytes sent on one connection, nothing else
//   <kind>-<16 hex digits>.json   what was found: kind, detail, service, command, target, time, input size,
//                                 and for --service any whether staying open was a hang
// The hex digits hash the finding's signature (kind and how the server failed), so findings that fail the
// same way share one name; the shortest input found for it is kept.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "blackbox/fault_verdict.h"

namespace sockspec::blackbox {

struct ReproducerInfo {
  Finding finding;
  std::string service;        // "echo", "framed"
  std::string target;         // the command (port filled in) or the URL
  std::string replayOptions;  // how to reach the target again: "--target-cmd '...'" or "--target URL"
  std::uint64_t execs = 0;    // inputs tried when it was found
  double secondsIntoRun = 0;  // since fuzzing started
  // any: the server closed every conversation after the client's FIN, so staying open was a hang
  // (reply_timing.h); replay judges alike.
  bool staysOpenIsHang = false;
  // any: the run's probe (bytes), and whether the target was a datagram one: what `replay
  // --write-scenarios` needs to write the scenario (regression_scenario.h).
  std::string probe = {};
  bool datagram = false;
};

struct SavedReproducer {
  std::string path;
  bool kept = false;  // an input at least as short was already saved under this name
};

// Where the reproducer of `finding` goes in `directory`: "DIR/<kind>-<16 hex digits>".
std::string reproducerPath(const std::string& directory, const Finding& finding);

// Writes the input and its sidecar into `directory` (which must exist), each whole or not at all
// (writeOutputFile, base/output_file.h). Fails naming the path and errno.
Expected<SavedReproducer, std::string> saveReproducer(const std::string& directory,
                                                      const std::vector<std::uint8_t>& input,
                                                      const ReproducerInfo& info);

struct LoadedReproducer {
  std::string path;
  std::vector<std::uint8_t> input;
  std::optional<std::string> service;  // from the sidecar, when there is one
  std::optional<std::string> kind;
  bool staysOpenIsHang = false;  // from the sidecar (ReproducerInfo)
  std::string probe;             // from the sidecar ("" when it has none)
  bool datagram = false;         // from the sidecar
};

// Reads a reproducer; its sidecar (path + ".json") is optional, and a malformed one is an error naming it.
Expected<LoadedReproducer, std::string> loadReproducer(const std::string& path);

// The reproducers named by `paths`: files as given, folders by their files that are not sidecars, sorted.
Expected<std::vector<std::string>, std::string> expandReproducerPaths(const std::vector<std::string>& paths);

}  // namespace sockspec::blackbox
