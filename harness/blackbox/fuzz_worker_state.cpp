#include "blackbox/fuzz_worker_state.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/file_bytes.h"

namespace sockspec::blackbox {

namespace {

using nlohmann::json;

Expected<void, std::string> writeJsonWhole(const json& value, const std::string& path) {
  std::string partial = path + ".partial";
  {
    std::ofstream out(partial, std::ios::trunc);
    out << value.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    if (!out) return Unexpected{fmt::format("{}: cannot write it", partial)};
  }
  std::error_code error;
  std::filesystem::rename(partial, path, error);
  if (error) return Unexpected{fmt::format("{}: rename: {}", path, error.message())};
  return {};
}

Expected<json, std::string> readJson(const std::string& path) {
  auto text = readFileBytes(path);
  if (!text) return Unexpected{fmt::format("{}: {}", path, text.error().describe())};
  auto value = json::parse(*text, nullptr, false);
  if (value.is_discarded() || !value.is_object()) return Unexpected{fmt::format("{}: not a JSON object", path)};
  return value;
}

// Bytes as a JSON array of numbers: a JSON string must be UTF-8, and a --reply-end need not be.
json bytesOf(std::string_view bytes) {
  json array = json::array();
  for (char byte : bytes) array.push_back(static_cast<std::uint8_t>(byte));
  return array;
}

std::string bytesFrom(const json& array) {
  std::string bytes;
  for (const auto& byte : array) bytes.push_back(static_cast<char>(byte.get<std::uint8_t>()));
  return bytes;
}

// The protocol as the parent checked it: made again from the same texts (fuzz_protocol.h).
Expected<FuzzProtocol, std::string> protocolFrom(const json& value) {
  auto kind = fuzzProtocolFromName(value.at("service").get<std::string>());
  if (!kind) return Unexpected{std::string("unknown service")};
  FuzzProtocol protocol;
  protocol.kind = *kind;
  protocol.replyEnd = bytesFrom(value.at("reply_end"));
  protocol.probe = bytesFrom(value.at("probe"));
  std::string reply = bytesFrom(value.at("reply"));
  if (!reply.empty()) {
    auto compiled = pattern::BytePattern::make(pattern::PatternKind::Regex, reply);
    if (!compiled) return Unexpected{"reply: " + compiled.error()};
    protocol.reply = std::move(*compiled);
  }
  return protocol;
}

}  // namespace

FuzzFindingRecord* FuzzState::findingWith(const std::string& signature) {
  for (auto& finding : findings) {
    if (finding.signature == signature) return &finding;
  }
  return nullptr;
}

std::uint64_t FuzzState::inputsThatFailed() const {
  std::uint64_t total = 0;
  for (const auto& finding : findings) total += finding.hits;
  return total;
}

bool FuzzState::anyUnsaved() const {
  for (const auto& finding : findings) {
    if (!finding.saveError.empty()) return true;
  }
  return false;
}

Expected<void, std::string> writeWorkerOptions(const FuzzWorkerOptions& options) {
  json value{{"service", std::string(fuzzProtocolName(options.protocol.kind))},
             {"reply_end", bytesOf(options.protocol.replyEnd)},
             {"reply", bytesOf(options.protocol.reply ? options.protocol.reply->text() : std::string())},
             {"probe", bytesOf(options.protocol.probe)},
             {"dictionary", options.dictionary},
             {"target_command", options.target.command},
             {"target_url", options.target.url},
             {"ready_timeout_ms", options.target.readyTimeout.count()},
             {"probe_timeout_ms", options.target.probeTimeout.count()},
             {"stop_grace_ms", options.target.stopGrace.count()},
             {"replay_options", options.replayOptions},
             {"artifacts_dir", options.artifactsDir},
             {"max_time_s", options.maxTimeSeconds},
             {"hang_timeout_ms", options.hangTimeout.count()},
             {"seed", options.seed},
             {"max_length", options.maxLength},
             {"max_findings", options.maxFindings},
             {"progress_every_ms", options.progressEvery.count()},
             {"no_shrink", options.noShrink},
             {"no_coverage", options.noCoverage},
             {"worker", options.worker},
             {"workers", options.workers},
             {"shared_corpus", options.sharedCorpus},
             {"kept_corpus", options.keptCorpus}};
  return writeJsonWhole(value, options.optionsFile());
}

Expected<FuzzWorkerOptions, std::string> readWorkerOptions(const std::string& workDir) {
  FuzzWorkerOptions options;
  options.workDir = workDir;
  auto value = readJson(options.optionsFile());
  if (!value) return Unexpected{value.error()};
  try {
    auto protocol = protocolFrom(*value);
    if (!protocol) return Unexpected{fmt::format("{}: {}", options.optionsFile(), protocol.error())};
    options.protocol = std::move(*protocol);
    options.dictionary = value->at("dictionary").get<std::string>();
    options.target.command = value->at("target_command").get<std::string>();
    options.target.url = value->at("target_url").get<std::string>();
    options.target.readyTimeout = std::chrono::milliseconds(value->at("ready_timeout_ms").get<std::int64_t>());
    options.target.probeTimeout = std::chrono::milliseconds(value->at("probe_timeout_ms").get<std::int64_t>());
    options.target.stopGrace = std::chrono::milliseconds(value->at("stop_grace_ms").get<std::int64_t>());
    options.replayOptions = value->at("replay_options").get<std::string>();
    options.artifactsDir = value->at("artifacts_dir").get<std::string>();
    options.maxTimeSeconds = value->at("max_time_s").get<int>();
    options.hangTimeout = std::chrono::milliseconds(value->at("hang_timeout_ms").get<std::int64_t>());
    options.seed = value->at("seed").get<std::uint32_t>();
    options.maxLength = value->at("max_length").get<std::size_t>();
    options.maxFindings = value->at("max_findings").get<std::size_t>();
    options.progressEvery = std::chrono::milliseconds(value->at("progress_every_ms").get<std::int64_t>());
    options.noShrink = value->at("no_shrink").get<bool>();
    options.noCoverage = value->at("no_coverage").get<bool>();
    options.worker = value->at("worker").get<std::size_t>();
    options.workers = value->at("workers").get<std::size_t>();
    options.sharedCorpus = value->at("shared_corpus").get<std::string>();
    options.keptCorpus = value->at("kept_corpus").get<std::string>();
  } catch (const json::exception& error) {
    return Unexpected{fmt::format("{}: {}", options.optionsFile(), error.what())};
  }
  return options;
}

Expected<void, std::string> writeFuzzState(const FuzzState& state, const std::string& path) {
  json findings = json::array();
  for (const auto& finding : state.findings) {
    findings.push_back({{"path", finding.path},
                        {"kind", finding.kind},
                        {"detail", finding.detail},
                        {"signature", finding.signature},
                        {"input_bytes", finding.inputBytes},
                        {"seconds", finding.seconds},
                        {"kept", finding.kept},
                        {"hits", finding.hits},
                        {"save_error", finding.saveError}});
  }
  json value{{"execs", state.execs},
             {"seconds", state.seconds},
             {"restarts", state.restarts},
             {"messages", state.messages},
             {"rest_ends", state.restEnds},
             {"edges_in_binary", state.edgesInBinary},
             {"edges_seen", state.edgesSeen},
             {"findings", findings},
             {"stopped", state.stopped}};
  return writeJsonWhole(value, path);
}

Expected<FuzzState, std::string> readFuzzState(const std::string& path) {
  auto value = readJson(path);
  if (!value) return Unexpected{value.error()};
  FuzzState state;
  try {
    state.execs = value->at("execs").get<std::uint64_t>();
    state.seconds = value->at("seconds").get<double>();
    state.restarts = value->at("restarts").get<std::uint64_t>();
    state.messages = value->at("messages").get<std::uint64_t>();
    state.restEnds = value->at("rest_ends").get<std::uint64_t>();
    state.edgesInBinary = value->at("edges_in_binary").get<std::uint64_t>();
    state.edgesSeen = value->at("edges_seen").get<std::uint64_t>();
    state.stopped = value->at("stopped").get<std::string>();
    for (const auto& finding : value->at("findings")) {
      state.findings.push_back(FuzzFindingRecord{finding.at("path").get<std::string>(),
                                                 finding.at("kind").get<std::string>(),
                                                 finding.at("detail").get<std::string>(),
                                                 finding.at("signature").get<std::string>(),
                                                 finding.at("input_bytes").get<std::size_t>(),
                                                 finding.at("seconds").get<double>(),
                                                 finding.at("kept").get<bool>(),
                                                 finding.at("hits").get<std::uint64_t>(),
                                                 finding.at("save_error").get<std::string>()});
    }
  } catch (const json::exception& error) {
    return Unexpected{fmt::format("{}: {}", path, error.what())};
  }
  return state;
}

FuzzState mergeFuzzStates(const std::vector<FuzzState>& states) {
  FuzzState merged;
  std::vector<const FuzzFindingRecord*> found;
  for (const auto& state : states) {
    merged.execs += state.execs;
    merged.seconds = std::max(merged.seconds, state.seconds);
    merged.restarts += state.restarts;
    merged.messages += state.messages;
    merged.restEnds += state.restEnds;
    // Each worker's server has a region of its own: the most any worker saw (their union is not kept).
    merged.edgesInBinary = std::max(merged.edgesInBinary, state.edgesInBinary);
    merged.edgesSeen = std::max(merged.edgesSeen, state.edgesSeen);
    for (const auto& finding : state.findings) found.push_back(&finding);
    if (!state.stopped.empty() && merged.stopped.find(state.stopped) == std::string::npos) {
      merged.stopped += (merged.stopped.empty() ? "" : "; ") + state.stopped;
    }
  }
  // In the order found, whichever worker found it.
  std::stable_sort(found.begin(), found.end(),
                   [](const FuzzFindingRecord* a, const FuzzFindingRecord* b) { return a->seconds < b->seconds; });
  for (const FuzzFindingRecord* finding : found) {
    if (auto* known = merged.findingWith(finding->signature)) {
      known->hits += finding->hits;
      // A worker that found it later may have saved it where the first could not.
      if (!known->saveError.empty() && finding->saveError.empty()) known->saveError.clear();
      continue;
    }
    merged.findings.push_back(*finding);
  }
  return merged;
}

}  // namespace sockspec::blackbox
