#include "app/replay_run.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/display_escape.h"
#include "base/file_bytes.h"
#include "base/output_file.h"
#include "base/output_folder.h"
#include "base/temp_directory.h"
#include "base/sys_error.h"
#include "blackbox/conversation_exchange.h"
#include "blackbox/fault_verdict.h"
#include "blackbox/fuzz_target.h"
#include "blackbox/leak_watch.h"
#include "blackbox/input_exchange.h"
#include "blackbox/regression_scenario.h"

namespace sockspec::app {

namespace {

// One reproducer against a running target: the exchange, then whether the server still accepts.
ReplayVerdict replayOne(process::TargetSession& target, const blackbox::FuzzProtocol& protocol,
                        const blackbox::LoadedReproducer& reproducer, const blackbox::ExchangeLimits& limits) {
  net::Bytes input(reproducer.input.data(), reproducer.input.size());
  // No learnt pace to go by: a reply's first byte is waited for up to the hang timeout, its end for 50 ms of
  // quiet (which only decides where one message's reply ends and the next's begins, never a verdict).
  blackbox::ReplyWaits waits;
  waits.firstByte = limits.hangTimeout;
  waits.quietGap = std::min<std::chrono::microseconds>(limits.hangTimeout, std::chrono::milliseconds(50));
  waits.staysOpenIsHang = reproducer.staysOpenIsHang;
  auto result = blackbox::exchangeFor(target.endpoint(), protocol, input, waits, limits);
  if (result.connectFailure) {
    return {reproducer.path, "not run",
            fmt::format("the target did not accept the connection: {}", result.connectFailure->describe())};
  }
  std::string exchange = blackbox::describeExchange(protocol, input, result);
  if (auto finding = blackbox::judgeExchange(target, protocol, input, result, limits, waits)) {
    std::string detail = finding->kind == blackbox::FindingKind::Crash
                             ? fmt::format("{}; {}", finding->detail, exchange)
                             : finding->detail;
    return {reproducer.path, std::string(blackbox::findingKindName(finding->kind)), detail};
  }
  // A server that survives the connection but no longer accepts new ones has crashed for its clients.
  if (auto failure = target.probe()) {
    auto finding = blackbox::judgeConnectFailure(target, *failure, limits);
    return {reproducer.path, "crash", fmt::format("{}; {}", finding.detail, exchange)};
  }
  if (auto probed = blackbox::probeAfterInput(target, protocol, limits)) {
    return {reproducer.path, std::string(blackbox::findingKindName(probed->kind)),
            fmt::format("{}; {}", probed->detail, exchange)};
  }
  // A leak shows only over repeats (blackbox/leak_watch.h), on a server we started and can count.
  if (reproducer.kind == "leak" && target.startedByUs()) {
    auto send = [&](const std::vector<std::uint8_t>& again) {
      return !blackbox::exchangeFor(target.endpoint(), protocol, net::Bytes(again.data(), again.size()), waits, limits)
                  .interrupted;
    };
    if (auto leak = blackbox::repeatForLeak(target, reproducer.input, send)) {
      return {reproducer.path, "leak", leak->detail};
    }
  }
  return {reproducer.path, "no fault", exchange};
}

// A reproducer is read whole: a regular file, or a FIFO (`<(cat FILE)`) that ends; a device such as /dev/zero
// never ends. Its sidecar, FILE.json, is optional and opened unasked, so it must be a regular file when it is
// there: a FIFO would block the open, a folder made the JSON reader throw (exit 134).
Expected<void, std::string> checkReproducerFiles(const std::string& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    return Unexpected{fmt::format("{}: {}", path, SysError{errno, "stat"}.describe())};
  }
  if (!S_ISREG(status.st_mode) && !S_ISFIFO(status.st_mode)) {
    return Unexpected{fmt::format("{}: not a regular file (a reproducer is read to its end)", path)};
  }
  std::string sidecar = path + ".json";
  if (::stat(sidecar.c_str(), &status) != 0) {
    if (errno == ENOENT) return {};
    return Unexpected{fmt::format("{}: {}", sidecar, SysError{errno, "stat"}.describe())};
  }
  if (!S_ISREG(status.st_mode)) {
    return Unexpected{fmt::format("{}: not a regular file (a reproducer's sidecar)", sidecar)};
  }
  return {};
}

// blackbox::expandReproducerPaths, whose folder walk throws on an entry it cannot stat (a link to itself):
// that is bad input naming the entry, not an exception out of main (exit 134).
Expected<std::vector<std::string>, std::string> expandPaths(const std::vector<std::string>& paths) {
  try {
    return blackbox::expandReproducerPaths(paths);
  } catch (const std::filesystem::filesystem_error& error) {
    return Unexpected{fmt::format("{}: {}", error.path1().string(), SysError{error.code().value(), "stat"}.describe())};
  }
}

}  // namespace

Expected<ReplayPlan, std::string> planReplay(const ReplayOptions& options) {
  ReplayPlan plan{options, {}, {}};
  bool converting = plan.writesScenarios();
  if (converting && (!options.target.command.empty() || !options.target.url.empty())) {
    return Unexpected{std::string("--write-scenarios sends nothing: it takes no --target or --target-cmd")};
  }
  for (const char* sending : {"--hang-timeout", "--ready-timeout", "--json"}) {
    if (converting && options.given.count(sending) != 0) {
      return Unexpected{fmt::format("{} goes with replaying: --write-scenarios sends nothing", sending)};
    }
  }
  if (auto problem = options.target.problem("the server to replay against", options.given); problem && !converting) {
    return Unexpected{*problem};
  }
  if (converting) {
    auto folder = OutputFolder::check("--write-scenarios", options.scenarioDirectory);
    if (!folder) return Unexpected{folder.error()};
    if (auto made = folder->make(); !made) return Unexpected{made.error()};
  } else if (!options.target.command.empty()) {
    // A started server's files go under TMPDIR: one that cannot take them is bad input.
    if (auto temp = TempDirectory::checkUsable(); !temp) return Unexpected{temp.error()};
  }
  std::vector<std::string> files;
  for (const auto& path : options.paths) {
    auto expanded = expandPaths({path});
    if (!expanded) return Unexpected{expanded.error()};
    if (expanded->empty()) return Unexpected{fmt::format("no reproducers in {}", path)};
    // Each once: a glob names a reproducer and its sidecar, which expands to the reproducer again.
    for (auto& file : *expanded) {
      if (std::find(files.begin(), files.end(), file) == files.end()) files.push_back(std::move(file));
    }
  }
  for (const auto& file : files) {
    if (auto readable = checkReproducerFiles(file); !readable) return Unexpected{readable.error()};
    auto loaded = blackbox::loadReproducer(file);
    if (!loaded) return Unexpected{loaded.error()};
    std::string name = !options.service.empty() ? options.service : loaded->service.value_or("");
    if (name.empty()) return Unexpected{fmt::format("{}: no sidecar names its service: give --service", file)};
    if (!blackbox::fuzzProtocolFromName(name)) {
      return Unexpected{fmt::format("{}.json: service '{}' is not one of echo, framed, any", file, escapeForDisplay(name, 40))};
    }
    auto protocol = blackbox::makeFuzzProtocol(name, options.replyEnd, options.reply, options.probe);
    if (!protocol) return Unexpected{fmt::format("{}: {}", file, protocol.error())};
    plan.protocols.push_back(std::move(*protocol));
    plan.reproducers.push_back(std::move(*loaded));
  }
  return plan;
}

namespace {

// Writes `text` to `path` unless the same is there already: true when written, false when unchanged. A
// different file there is bad input (never replaced), as is one that is not a regular file.
Expected<bool, ScenarioWriteFailure> writeScenarioFile(const std::string& path, const std::string& text) {
  auto badInput = [](std::string message) { return Unexpected{ScenarioWriteFailure{std::move(message), false}}; };
  std::error_code error;
  if (std::filesystem::exists(path, error)) {
    // Only a regular file is read back: a FIFO there would block the read.
    if (!std::filesystem::is_regular_file(path, error)) {
      return badInput(fmt::format("{} exists and is not a regular file", path));
    }
    auto old = readFileBytes(path);
    if (!old) return badInput(fmt::format("{} exists and cannot be read: {}", path, old.error().describe()));
    if (*old != text) return badInput(fmt::format("{} exists and differs: remove it to write it again", path));
    return false;
  }
  // Whole or not at all (a full disk leaves no empty .scn that the next run would call "differs").
  if (auto written = writeOutputFile(path, text); !written) {
    return Unexpected{ScenarioWriteFailure{written.error(), true}};
  }
  return true;
}

}  // namespace

Expected<std::vector<std::string>, ScenarioWriteFailure> writeRegressionScenarios(const ReplayPlan& plan) {
  const std::string& directory = plan.options.scenarioDirectory;  // made, if missing, by planReplay
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < plan.reproducers.size(); ++i) {
    const auto& reproducer = plan.reproducers[i];
    blackbox::RegressionScenarioSource source;
    source.path = reproducer.path;
    source.name = std::filesystem::path(reproducer.path).filename().string();
    source.kind = reproducer.kind;
    source.service = plan.protocols[i].kind == blackbox::FuzzProtocolKind::Echo ? proto::Service::Echo
                                                                                : proto::Service::Framed;
    source.input = reproducer.input;
    source.any = plan.protocols[i].any();
    source.datagram = reproducer.datagram;
    // replay's --probe over the run's, kept in the sidecar.
    source.probe = !plan.protocols[i].probe.empty() ? plan.protocols[i].probe : reproducer.probe;
    std::vector<std::pair<std::string, std::string>> files = blackbox::regressionScenarioFiles(source);
    files.emplace_back(blackbox::regressionScenarioId(source) + ".scn", blackbox::regressionScenarioText(source));
    // The scenario last: the files it sends from are there before it is.
    bool allUnchanged = true;
    for (const auto& [name, text] : files) {
      std::string path = directory + "/" + name;
      auto written = writeScenarioFile(path, text);
      if (!written) return Unexpected{written.error()};
      allUnchanged = allUnchanged && !*written;
    }
    std::string path = directory + "/" + files.back().first;
    lines.push_back(allUnchanged ? fmt::format("{}: unchanged", path)
                                 : fmt::format("{}: written from {}", path, reproducer.path));
  }
  return lines;
}

Expected<std::vector<ReplayVerdict>, std::string> replayReproducers(const ReplayPlan& plan) {
  const ReplayOptions& options = plan.options;
  blackbox::ExchangeLimits limits;
  limits.hangTimeout = std::chrono::milliseconds(options.target.hangTimeoutMs);
  limits.connectTimeout = limits.hangTimeout;
  // A datagram target is for any: the first reproducer's protocol says whether one is allowed.
  auto target = blackbox::openFuzzTarget(options.target.spec(), plan.protocols.front());
  if (!target) return Unexpected{target.error()};
  std::vector<ReplayVerdict> verdicts;
  bool targetLost = false;
  for (std::size_t i = 0; i < plan.reproducers.size(); ++i) {
    // Each reproducer meets a fresh server when we start it, so one finding cannot mask the next.
    if (i > 0 && target->startedByUs()) {
      if (auto restarted = target->restart(); !restarted) return Unexpected{restarted.error()};
    }
    if (targetLost) {
      verdicts.push_back({plan.reproducers[i].path, "not run", "the target no longer accepts connections"});
      continue;
    }
    verdicts.push_back(replayOne(*target, plan.protocols[i], plan.reproducers[i], limits));
    if (verdicts.back().verdict == "crash" && !target->startedByUs()) targetLost = true;
  }
  (void)target->stop();
  return verdicts;
}

std::string verdictsAsJson(const std::vector<ReplayVerdict>& verdicts) {
  nlohmann::json report = nlohmann::json::array();
  for (const auto& verdict : verdicts) {
    report.push_back({{"file", verdict.path},
                      {"verdict", verdict.verdict},
                      {"detail", verdict.detail},
                      {"reproduced", verdict.reproduced()}});
  }
  return report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sockspec::app
