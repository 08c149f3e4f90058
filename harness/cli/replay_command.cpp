#include "cli/replay_command.h"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/display_escape.h"
#include "base/exit_codes.h"
#include "base/file_bytes.h"
#include "blackbox/fault_verdict.h"
#include "blackbox/fuzz_target.h"
#include "blackbox/input_exchange.h"
#include "blackbox/regression_scenario.h"
#include "blackbox/reproducer_files.h"
#include "blackbox/service_model.h"
#include "process/target_command.h"

namespace sockspec::cli {

namespace {

struct ReplaySettings {
  std::vector<std::string> paths;
  std::string targetCommand;
  std::string target;
  std::string service;
  int hangTimeoutMs = 1000;
  int readyTimeoutMs = 10000;
  bool json = false;
  std::string scenarioDirectory;  // --write-scenarios DIR: convert, send nothing
};

int usageError(const std::string& message) {
  std::fprintf(stderr, "sockspec replay: %s\n", message.c_str());
  return kExitUsage;
}

struct ReplayVerdict {
  std::string path;
  std::string verdict;  // "crash", "hang", "no fault", "not run"
  std::string detail;
};

// One reproducer against a running target: the exchange, then whether the server still accepts.
ReplayVerdict replayOne(blackbox::FuzzTarget& target, blackbox::FuzzService service,
                        const blackbox::LoadedReproducer& reproducer,
                        const blackbox::ExchangeLimits& limits) {
  net::Bytes input(reproducer.input.data(), reproducer.input.size());
  auto result = blackbox::exchangeInput(target.endpoint(), input, limits);
  if (result.connectFailure) {
    return {reproducer.path, "not run",
            fmt::format("the target did not accept the connection: {}", result.connectFailure->describe())};
  }
  std::string exchange = blackbox::describeExchange(service, input, result);
  if (auto finding = blackbox::judgeExchange(target, service, input, result, limits)) {
    std::string detail = finding->kind == blackbox::FindingKind::Crash
                             ? fmt::format("{}; {}", finding->detail, exchange)
                             : finding->detail;
    return {reproducer.path, std::string(blackbox::findingKindName(finding->kind)), detail};
  }
  // A server that survives the connection but no longer accepts new ones has crashed for its clients.
  if (auto failure = target.probe()) {
    auto finding = blackbox::judgeConnectFailure(target, *failure, limits.hangTimeout);
    return {reproducer.path, "crash", fmt::format("{}; {}", finding.detail, exchange)};
  }
  return {reproducer.path, "no fault", exchange};
}

// --write-scenarios: each reproducer becomes DIR/<scenario id>.scn (blackbox/regression_scenario.h). An
// existing file is left alone unless it already holds the same text: it may have been edited since.
int writeScenarios(const ReplaySettings& settings, const std::vector<blackbox::LoadedReproducer>& reproducers,
                   const std::vector<blackbox::FuzzService>& services) {
  std::error_code error;
  std::filesystem::create_directories(settings.scenarioDirectory, error);
  if (error) return usageError(fmt::format("--write-scenarios {}: {}", settings.scenarioDirectory, error.message()));
  for (std::size_t i = 0; i < reproducers.size(); ++i) {
    blackbox::RegressionScenarioSource source;
    source.path = reproducers[i].path;
    source.name = std::filesystem::path(reproducers[i].path).filename().string();
    source.kind = reproducers[i].kind;
    source.service = services[i];
    source.input = reproducers[i].input;
    std::string text = blackbox::regressionScenarioText(source);
    std::string path = fmt::format("{}/{}.scn", settings.scenarioDirectory, blackbox::regressionScenarioId(source));
    if (std::filesystem::exists(path, error)) {
      auto old = readFileBytes(path);
      if (!old) return usageError(fmt::format("{} exists and cannot be read: {}", path, old.error().describe()));
      if (*old != text) return usageError(fmt::format("{} exists and differs: remove it to write it again", path));
      std::printf("%s: unchanged\n", path.c_str());
      continue;
    }
    std::ofstream out(path, std::ios::binary);
    out << text;
    out.close();
    if (!out) return usageError(fmt::format("{}: cannot write it", path));
    std::printf("%s: written from %s\n", path.c_str(), reproducers[i].path.c_str());
  }
  return kExitOk;
}

int runReplay(const ReplaySettings& settings) {
  bool converting = !settings.scenarioDirectory.empty();
  if (converting && (!settings.targetCommand.empty() || !settings.target.empty())) {
    return usageError("--write-scenarios sends nothing: it takes no --target or --target-cmd");
  }
  if (!converting && settings.targetCommand.empty() && settings.target.empty()) {
    return usageError("--target-cmd CMD or --target URL is required (the server to replay against)");
  }
  if (settings.targetCommand.empty() &&
      settings.target.find(process::kPortPlaceholder) != std::string::npos) {
    return usageError(fmt::format("--target {}: {} needs --target-cmd, which is given the port",
                                  settings.target, process::kPortPlaceholder));
  }
  auto files = blackbox::expandReproducerPaths(settings.paths);
  if (!files) return usageError(files.error());
  if (files->empty()) return usageError("no reproducers in the folders given");
  std::vector<blackbox::LoadedReproducer> reproducers;
  std::vector<blackbox::FuzzService> services;
  for (const auto& file : *files) {
    auto loaded = blackbox::loadReproducer(file);
    if (!loaded) return usageError(loaded.error());
    std::string name = !settings.service.empty() ? settings.service : loaded->service.value_or("");
    if (name.empty())
      return usageError(fmt::format("{}: no sidecar names its service: give --service", file));
    auto service = blackbox::fuzzServiceFromName(name);
    if (!service) {
      return usageError(
          fmt::format("{}.json: service '{}' is not one of echo, framed", file, escapeForDisplay(name, 40)));
    }
    services.push_back(*service);
    reproducers.push_back(std::move(*loaded));
  }
  if (converting) return writeScenarios(settings, reproducers, services);

  auto options = blackbox::FuzzTargetOptions::fromCommandLine(settings.target, settings.targetCommand,
                                                              settings.readyTimeoutMs, settings.hangTimeoutMs);
  blackbox::ExchangeLimits limits;
  limits.hangTimeout = std::chrono::milliseconds(settings.hangTimeoutMs);
  limits.connectTimeout = limits.hangTimeout;

  auto target = blackbox::FuzzTarget::start(options);
  if (!target) return usageError(target.error());
  std::vector<ReplayVerdict> verdicts;
  bool targetLost = false;
  for (std::size_t i = 0; i < reproducers.size(); ++i) {
    // Each reproducer meets a fresh server when we start it, so one finding cannot mask the next.
    if (i > 0 && target->startedByUs()) {
      if (auto restarted = target->restart(); !restarted) return usageError(restarted.error());
    }
    if (targetLost) {
      verdicts.push_back({reproducers[i].path, "not run", "the target no longer accepts connections"});
      continue;
    }
    verdicts.push_back(replayOne(*target, services[i], reproducers[i], limits));
    if (verdicts.back().verdict == "crash" && !target->startedByUs()) targetLost = true;
  }
  target->stop();

  std::size_t reproduced = 0;
  std::size_t notRun = 0;
  nlohmann::json report = nlohmann::json::array();
  for (const auto& verdict : verdicts) {
    bool fault = verdict.verdict == "crash" || verdict.verdict == "hang";
    reproduced += fault ? 1u : 0u;
    notRun += verdict.verdict == "not run" ? 1u : 0u;
    if (settings.json) {
      report.push_back({{"file", verdict.path},
                        {"verdict", verdict.verdict},
                        {"detail", verdict.detail},
                        {"reproduced", fault}});
    } else {
      std::printf("%s: %s: %s\n", verdict.path.c_str(), verdict.verdict.c_str(), verdict.detail.c_str());
    }
  }
  if (settings.json)
    std::printf("%s\n", report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  std::fprintf(stderr, "sockspec replay: %zu of %zu reproduced%s\n", reproduced, verdicts.size(),
               notRun != 0 ? fmt::format(", {} not run", notRun).c_str() : "");
  if (reproduced != 0) return kExitCheckFailed;
  return notRun != 0 ? kExitUsage : kExitOk;
}

}  // namespace

std::function<int()> addReplayCommand(CLI::App& app) {
  auto settings = std::make_shared<ReplaySettings>();
  CLI::App* replay =
      app.add_subcommand("replay",
                         "send fuzzing reproducers to a server again and say whether each fault reproduces "
                         "(docs/fuzzing-black-box.md)");
  replay->footer(
      "Examples:\n"
      "  sockspec replay findings/crash-1f2e3d4c5b6a7988 \\\n"
      "      --target-cmd 'sockspec-server --listen tcp://127.0.0.1:{port} --service echo'\n"
      "  sockspec replay regressions/ --service framed --target tcp://127.0.0.1:7000 --json\n"
      "  sockspec replay findings/ --write-scenarios regressions/   # then: sockspec run regressions/ --target-cmd ...\n"
      "Exit codes: 0 no fault reproduced, 1 a fault reproduced, 2 bad usage, unreadable file, unreachable "
      "target, or reproducers not run; 3 sockspec failed.");
  replay
      ->add_option("paths", settings->paths,
                   "reproducer files, or folders of them (sidecars *.json are read "
                   "alongside)")
      ->required();
  replay->add_option("--target-cmd", settings->targetCommand,
                     "start the server with this shell command on a free port ({port}), afresh for each "
                     "reproducer");
  replay->add_option("--target", settings->target, "the server's URL; with --target-cmd it may say {port}");
  replay
      ->add_option("--service", settings->service,
                   "echo or framed (default: what each reproducer's sidecar says)")
      ->check(CLI::IsMember({"echo", "framed"}));
  replay
      ->add_option("--hang-timeout", settings->hangTimeoutMs,
                   "ms of silence after which an unfinished reply is a hang")
      ->capture_default_str()
      ->check(CLI::Range(10, 600'000));
  replay->add_option("--ready-timeout", settings->readyTimeoutMs, "ms the started server may take to serve")
      ->capture_default_str()
      ->check(CLI::Range(100, 600'000));
  replay->add_flag("--json", settings->json, "print the verdicts as a JSON array on stdout");
  replay->add_option("--write-scenarios", settings->scenarioDirectory,
                     "send nothing: write each reproducer as a regression scenario, DIR/<id>.scn, for sockspec run "
                     "DIR --target-cmd CMD (what a correct server does with the bytes)");
  return [settings]() { return runReplay(*settings); };
}

}  // namespace sockspec::cli
