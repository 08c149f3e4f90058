#include "cli/replay_command.h"

#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "app/replay_run.h"
#include "base/exit_codes.h"
#include "cli/blackbox_target_options.h"
#include "cli_support/strict_options.h"
#include "cli_support/usage_error.h"

namespace sockspec::cli {

namespace {

constexpr std::string_view kProgram = "sockspec replay";

int runReplay(const app::ReplayOptions& options) {
  auto plan = app::planReplay(options);
  if (!plan) return cli_support::usageError(kProgram, plan.error());
  if (plan->writesScenarios()) {
    auto lines = app::writeRegressionScenarios(*plan);
    if (!lines && lines.error().writeFailed) {
      std::fprintf(stderr, "sockspec replay: %s\n", lines.error().message.c_str());
      return kExitInternal;
    }
    if (!lines) return cli_support::usageError(kProgram, lines.error().message);
    for (const auto& line : *lines) std::printf("%s\n", line.c_str());
    return kExitOk;
  }
  auto verdicts = app::replayReproducers(*plan);
  if (!verdicts) return cli_support::usageError(kProgram, verdicts.error());
  std::size_t reproduced = 0;
  std::size_t notRun = 0;
  for (const auto& verdict : *verdicts) {
    reproduced += verdict.reproduced() ? 1u : 0u;
    notRun += verdict.verdict == "not run" ? 1u : 0u;
    if (!options.json) std::printf("%s: %s: %s\n", verdict.path.c_str(), verdict.verdict.c_str(), verdict.detail.c_str());
  }
  if (options.json) std::printf("%s\n", app::verdictsAsJson(*verdicts).c_str());
  std::fprintf(stderr, "sockspec replay: %zu of %zu reproduced%s\n", reproduced, verdicts->size(),
               notRun != 0 ? fmt::format(", {} not run", notRun).c_str() : "");
  if (reproduced != 0) return kExitCheckFailed;
  return notRun != 0 ? kExitUsage : kExitOk;
}

}  // namespace

std::function<int()> addReplayCommand(CLI::App& app) {
  auto settings = std::make_shared<app::ReplayOptions>();
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
      "target, unusable TMPDIR or --write-scenarios folder, or reproducers not run; 3 sockspec failed (also: a "
      "scenario could not be written).");
  replay
      ->add_option("paths", settings->paths,
                   "reproducer files, or folders of them (sidecars *.json are read "
                   "alongside)")
      ->required();
  addBlackboxTargetOptions(*replay, settings->target,
                           "start the server with this shell command on a free port ({port}), afresh for each "
                           "reproducer",
                           "the server's URL; with --target-cmd it may say {port}");
  addFuzzProtocolOptions(*replay, {&settings->service, &settings->replyEnd, &settings->reply, &settings->probe},
                         "echo, framed or any (default: what each reproducer's sidecar says)");
  replay->add_flag("--json", settings->json,
                   "print the verdicts as a JSON array on stdout (not with --write-scenarios)");
  replay->add_option("--write-scenarios", settings->scenarioDirectory,
                     "send nothing: write each reproducer as a regression scenario, DIR/<id>.scn, for sockspec run "
                     "DIR --target-cmd CMD (what a correct server does with the bytes); DIR is made if missing, "
                     "its parent must exist");
  return [settings, replay]() {
    settings->given = cli_support::givenOptions(*replay);
    return runReplay(*settings);
  };
}

}  // namespace sockspec::cli
