#include "cli/fuzz_command.h"

#include <cstdio>
#include <memory>

#include "app/fuzz_run.h"
#include "base/exit_codes.h"
#include "cli/blackbox_target_options.h"
#include "blackbox/fuzz_engine.h"
#include "cli_support/strict_options.h"
#include "cli_support/usage_error.h"
#include "process/interrupt_signals.h"

namespace sockspec::cli {

namespace {

constexpr std::string_view kProgram = "sockspec fuzz";

int runFuzz(const app::FuzzOptions& options) {
  // The interrupt handlers are main()'s, installed before parsing.
  auto outcome = app::runFuzzCampaign(options, process::interruptFlag());
  if (!outcome) {
    switch (outcome.error().kind) {
      case app::FuzzFailure::Kind::Usage: return cli_support::usageError(kProgram, outcome.error().message);
      case app::FuzzFailure::Kind::UsageReported: return kExitUsage;
      case app::FuzzFailure::Kind::Internal:
        std::fprintf(stderr, "sockspec fuzz: %s\n", outcome.error().message.c_str());
        return kExitInternal;
    }
  }
  if (outcome->warning) std::fprintf(stderr, "sockspec fuzz: %s\n", outcome->warning->c_str());
  for (const auto& line : app::fuzzSummaryLines(*outcome)) std::fprintf(stderr, "%s\n", line.c_str());
  for (const auto& line : app::fuzzFindingLines(outcome->state)) std::printf("%s\n", line.c_str());
  // A finding that could not be written is sockspec's failure, and must not pass for an ordinary one.
  if (outcome->state.anyUnsaved()) return kExitInternal;
  if (outcome->interrupted) return process::interruptExitCode();
  return outcome->state.findings.empty() ? kExitOk : kExitCheckFailed;
}

// `sockspec fuzz-worker DIR`: the worker process `fuzz` starts; its options are in DIR.
[[noreturn]] void runWorker(const std::string& workDir) {
  // At once: an interrupt that the parent passes on must never find the default action (death, the target
  // left to its own supervisor).
  process::installInterruptHandlers();
  auto options = blackbox::readWorkerOptions(workDir);
  if (!options) {
    std::fprintf(stderr, "sockspec fuzz: the fuzzing worker's options: %s\n", options.error().c_str());
    std::exit(kExitInternal);
  }
  blackbox::runFuzzWorker(*options);
}

}  // namespace

std::function<int()> addFuzzWorkerCommand(CLI::App& app) {
  auto workDir = std::make_shared<std::string>();
  CLI::App* worker = app.add_subcommand("fuzz-worker", "the worker process of sockspec fuzz (internal)");
  worker->group("");  // not listed in --help: only `sockspec fuzz` starts it
  worker->add_option("dir", *workDir, "the work folder holding options.json")->required();
  return [workDir]() -> int { runWorker(*workDir); };
}

std::function<int()> addFuzzCommand(CLI::App& app) {
  auto settings = std::make_shared<app::FuzzOptions>();
  CLI::App* fuzz = app.add_subcommand(
      "fuzz",
      "fuzz a server over TCP, UDP or unix sockets: mutated inputs on fresh connections (UDP: sockets), the "
      "replies as feedback, and the server's own coverage when it was built for it (docs/grey-box.md); crashes, "
      "hangs and leaks become reproducers (docs/fuzzing-black-box.md)");
  fuzz->footer(
      "Examples:\n"
      "  sockspec fuzz --service echo --max-time 60 --artifacts findings/ \\\n"
      "      --target-cmd 'sockspec-server --listen tcp://127.0.0.1:{port} --service echo'\n"
      "  sockspec fuzz --service framed --target tcp://127.0.0.1:7000 --max-time 300 --artifacts findings/\n"
      "  sockspec fuzz --service any --probe 'PING\\r\\n' --seeds-from traffic.pcap \\\n"
      "      --artifacts findings/ --target-cmd 'redis-server --port {port} --save \"\" --appendonly no'\n"
      "  sockspec fuzz --service any --jobs $(nproc) --max-time 600 --artifacts findings/ \\\n"
      "      --target-cmd './my-server --port {port}'   # a worker and a server per core\n"
      "  sockspec fuzz --service any --seeds seeds/ --artifacts findings/ \\\n"
      "      --target-cmd './my-server-with-coverage --port {port}'   # grey-box: docs/grey-box.md\n"
      "  sockspec replay findings/ --service echo --target-cmd '...'   # again, one verdict per reproducer\n"
      "Exit codes: 0 nothing found, 1 findings (reproducers written), 2 bad usage or unreachable target, "
      "3 sockspec failed (also: a reproducer could not be written), 130 interrupted (SIGINT), 143 terminated "
      "(SIGTERM).");
  addBlackboxTargetOptions(*fuzz, settings->target,
                           "start the server with this shell command on a free port ({port}); it is restarted "
                           "after each finding and stopped at the end",
                           "the server's URL (tcp://127.0.0.1:7, unix:///run/s.sock); with --target-cmd it may "
                           "say {port}. Alone: a server somebody else runs, so fuzzing stops at the first finding");
  addFuzzProtocolOptions(*fuzz, {&settings->service, &settings->replyEnd, &settings->reply, &settings->probe},
                         "what the server speaks: echo, framed, or any (its replies are not predicted: "
                         "docs/fuzzing-black-box.md)");
  fuzz->get_option("--service")->required();
  fuzz->add_option("--seeds", settings->seedDirs,
                   "a folder of seed inputs (one input per file; --service any: messages separated by two 0x1E "
                   "bytes); repeatable");
  fuzz->add_option("--seeds-from", settings->seedCaptures,
                   "a pcap or pcapng capture: each flow's client messages to the server's port become one seed "
                   "(--service any); repeatable");
  fuzz->add_option("--dict", settings->dictionary,
                   "a dictionary in libFuzzer's format (name=\"bytes\" per line), merged with the words learned "
                   "from the seeds");
  fuzz->add_option("--max-time", settings->maxTimeSeconds, "seconds to fuzz")
      ->capture_default_str()
      ->check(CLI::Range(1, 7 * 24 * 3600));
  fuzz->add_option("--corpus", settings->corpus,
                   "keep the inputs that reached new coverage or new reply features in this folder (made if "
                   "missing; its parent must exist); a later run with the same --corpus starts from them");
  fuzz->add_option("--artifacts", settings->artifacts, "folder for reproducers (made if missing; its parent must exist)")
      ->required();
  fuzz->add_option("--seed", settings->seed, "libFuzzer's random seed (0: a new one each run)")
      ->capture_default_str();
  fuzz->add_option("--max-len", settings->maxLength, "longest input in bytes")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
  fuzz->add_option("--max-findings", settings->maxFindings,
                   "stop once this many distinct findings (signatures) are saved (0: fuzz until --max-time); "
                   "with --target-cmd only (a --target alone stops at the first)")
      ->capture_default_str();
  fuzz->add_option("--jobs", settings->jobs,
                   "workers fuzzing at once, each with its own server started from --target-cmd on a port of "
                   "its own ({port}), sharing one corpus; findings are counted and printed once across them")
      ->capture_default_str();
  fuzz->add_flag(
      "--no-shrink", settings->noShrink,
      "save each finding's input as found; by default it is first shrunk (chunks deleted while the "
      "server still fails the same way, restarting it after each failure); with --target-cmd only");
  fuzz->add_flag("--no-coverage", settings->noCoverage,
                 "black-box even when the server was built with sockspec's coverage runtime (by default its "
                 "edges and comparisons guide the fuzzer: docs/grey-box.md)");
  return [settings, fuzz]() {
    settings->given = cli_support::givenOptions(*fuzz);
    return runFuzz(*settings);
  };
}

}  // namespace sockspec::cli
