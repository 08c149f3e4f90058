#include "app/fuzz_run.h"

#include "app/fuzz_seeds.h"
#include "app/fuzz_workers.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "base/output_folder.h"
#include "base/shell_quote.h"
#include "base/temp_directory.h"
#include "blackbox/fuzz_target.h"

namespace sockspec::app {

namespace {

FuzzFailure usage(std::string message) { return {FuzzFailure::Kind::Usage, std::move(message)}; }
FuzzFailure internal(std::string message) { return {FuzzFailure::Kind::Internal, std::move(message)}; }

// The URL with a port standing in for {port}: enough to tell its transport.
// How `replay` reaches the target and reads its replies as this run did.
std::string replayOptions(const FuzzOptions& options) {
  const BlackboxTargetOptions& target = options.target;
  std::string text = target.command.empty() ? "--target " + target.url : "--target-cmd " + shellQuote(target.command);
  if (!target.command.empty() && !target.url.empty()) text += " --target " + target.url;
  for (auto [option, value] : {std::pair{"--reply-end", &options.replyEnd}, std::pair{"--reply", &options.reply},
                               std::pair{"--probe", &options.probe}}) {
    if (!value->empty()) text += fmt::format(" {} {}", option, shellQuote(*value));
  }
  return text;
}

blackbox::FuzzWorkerOptions workerOptions(const FuzzOptions& options, blackbox::FuzzProtocol protocol,
                                          const std::string& artifacts, const std::string& workDir) {
  blackbox::FuzzWorkerOptions worker;
  worker.protocol = std::move(protocol);
  worker.target = options.target.spec();
  worker.replayOptions = replayOptions(options);
  worker.artifactsDir = artifacts;
  worker.workDir = workDir;
  worker.maxTimeSeconds = options.maxTimeSeconds;
  worker.hangTimeout = std::chrono::milliseconds(options.target.hangTimeoutMs);
  worker.seed = options.seed;
  worker.maxLength = options.maxLength;
  worker.maxFindings = static_cast<std::size_t>(options.maxFindings);  // checked: not negative
  worker.noShrink = options.noShrink;
  worker.noCoverage = options.noCoverage;
  return worker;
}

}  // namespace

Expected<FuzzOutcome, FuzzFailure> runFuzzCampaign(const FuzzOptions& options,
                                                   const volatile std::sig_atomic_t* stopRequested) {
  if (auto problem = options.target.problem("the server to fuzz", options.given)) return Unexpected{usage(*problem)};
  auto protocol = blackbox::makeFuzzProtocol(options.service, options.replyEnd, options.reply, options.probe);
  if (!protocol) return Unexpected{usage(protocol.error())};
  if (options.jobs < 1 || options.jobs > kMaxJobs) {
    return Unexpected{usage(fmt::format("--jobs {}: expected 1 to {} (workers, each with a server of its own)",
                                        options.jobs, kMaxJobs))};
  }
  if (options.jobs > 1 && options.target.command.empty()) {
    return Unexpected{usage("--jobs goes with --target-cmd: each worker starts a server of its own (a server "
                            "sockspec does not start cannot be restarted after a finding)")};
  }
  if (options.jobs > 1 && options.target.spec().url.find(process::kPortPlaceholder) == std::string::npos) {
    return Unexpected{usage(fmt::format("--jobs {} needs {{port}} in --target: each worker's server listens on a "
                                        "port of its own (--target {})",
                                        options.jobs, options.target.url))};
  }
  if (options.maxFindings < 0) {
    return Unexpected{usage(fmt::format("--max-findings {}: expected 0 (fuzz until --max-time) or more",
                                        options.maxFindings))};
  }
  // The worker's folder and the target's files go under TMPDIR: one that cannot take them is bad input.
  if (auto temp = TempDirectory::checkUsable(); !temp) return Unexpected{usage(temp.error())};
  // A server sockspec did not start is never restarted: fuzzing stops at its first finding, unshrunk.
  if (options.target.command.empty() && options.given.count("--max-findings") != 0) {
    return Unexpected{usage("--max-findings goes with --target-cmd: a server sockspec does not start is not "
                            "restarted, so fuzzing stops at its first finding")};
  }
  if (options.target.command.empty() && options.noShrink) {
    return Unexpected{usage("--no-shrink goes with --target-cmd: a server sockspec does not start cannot be "
                            "restarted, so nothing is shrunk")};
  }
  FuzzSeedOptions seedOptions;
  seedOptions.folders = options.seedDirs;
  seedOptions.captures = options.seedCaptures;
  seedOptions.dictionary = options.dictionary;
  seedOptions.setTarget(options.target.spec().url, *protocol);
  auto seeds = gatherFuzzSeeds(seedOptions);
  if (!seeds) return Unexpected{usage(seeds.error())};
  auto artifacts = OutputFolder::check("--artifacts", options.artifacts);
  if (!artifacts) return Unexpected{usage(artifacts.error())};
  std::optional<OutputFolder> corpus;
  if (!options.corpus.empty()) {
    auto checked = OutputFolder::check("--corpus", options.corpus);
    if (!checked) return Unexpected{usage(checked.error())};
    corpus.emplace(std::move(*checked));
  }
  if (options.target.command.empty()) {
    // Somebody else's server: an unreachable one is bad input, said before any fuzzing starts.
    auto reached = blackbox::openFuzzTarget(options.target.spec(), *protocol);
    if (!reached) return Unexpected{usage(reached.error())};
  }
  if (auto made = artifacts->make(); !made) return Unexpected{usage(made.error())};
  if (corpus) {
    if (auto made = corpus->make(); !made) return Unexpected{usage(made.error())};
  }

  auto work = TempDirectory::create("fuzz");
  if (!work) return Unexpected{internal("cannot make a temporary folder: " + work.error())};
  std::size_t jobs = static_cast<std::size_t>(options.jobs);  // checked: 1 or more
  blackbox::FuzzWorkerOptions first = workerOptions(options, *protocol, artifacts->path(), work->path());
  if (jobs > 1) first.sharedCorpus = work->path() + "/corpus";
  if (corpus) first.keptCorpus = corpus->path();
  if (auto written = writeFuzzSeeds(*seeds, first); !written) {
    return Unexpected{internal("the seeds: " + written.error())};
  }
  for (const auto& note : seeds->notes) std::fprintf(stderr, "sockspec fuzz: %s\n", note.c_str());
  // With --jobs, each worker in a folder of its own under the run's, all sharing the seeded corpus.
  std::vector<blackbox::FuzzWorkerOptions> workers(jobs, first);
  for (std::size_t i = 0; i < jobs; ++i) {
    blackbox::FuzzWorkerOptions& worker = workers[i];
    worker.worker = i + 1;
    worker.workers = jobs;
    if (jobs > 1) {
      worker.workDir = fmt::format("{}/worker-{}", work->path(), i + 1);
      std::error_code error;
      std::filesystem::create_directory(worker.workDir, error);
      if (error) return Unexpected{internal(fmt::format("{}: {}", worker.workDir, error.message()))};
      // The same --seed gives the same run; each worker its own sequence of it.
      if (options.seed != 0) worker.seed = options.seed + static_cast<std::uint32_t>(i);
    }
    if (auto written = blackbox::writeWorkerOptions(worker); !written) {
      return Unexpected{internal("the fuzzing worker's options: " + written.error())};
    }
  }
  auto outcome = runFuzzWorkers(workers, options.maxTimeSeconds, first.maxFindings, stopRequested);
  if (!outcome && outcome.error().kind == FuzzFailure::Kind::UsageReported) {
    artifacts->removeIfUnused();  // the target could not be started: nothing was fuzzed
    if (corpus) corpus->removeIfUnused();
  }
  return outcome;
}

std::vector<std::string> fuzzSummaryLines(const FuzzOutcome& outcome) {
  const blackbox::FuzzState& state = outcome.state;
  std::vector<std::string> lines;
  lines.push_back(fmt::format(
      "sockspec fuzz: {}: {} execs in {:.1f} s ({:.0f} exec/s), {} findings from {} inputs, {} restarts",
      outcome.interrupted ? "interrupted" : "done", state.execs, state.seconds,
      state.seconds > 0 ? static_cast<double>(state.execs) / state.seconds : 0.0, state.findings.size(),
      state.inputsThatFailed(), state.restarts));
  if (state.messages != 0) {
    lines.push_back(fmt::format("sockspec fuzz: {} messages ({:.0f}/s); {} replies ended once the server was at rest",
                                state.messages,
                                state.seconds > 0 ? static_cast<double>(state.messages) / state.seconds : 0.0,
                                state.restEnds));
  }
  if (state.edgesInBinary != 0) {
    lines.push_back(fmt::format("sockspec fuzz: grey-box: the inputs ran {} of the server's {} edges", state.edgesSeen,
                                state.edgesInBinary));
  }
  if (!state.stopped.empty()) lines.push_back("sockspec fuzz: stopped early: " + state.stopped);
  for (const auto& finding : state.findings) {
    if (finding.saveError.empty()) continue;
    lines.push_back(fmt::format("sockspec fuzz: {} ({} bytes): {}: NOT SAVED: {}", finding.kind, finding.inputBytes,
                                finding.detail, finding.saveError));
  }
  return lines;
}

std::vector<std::string> fuzzFindingLines(const blackbox::FuzzState& state) {
  std::vector<std::string> lines;
  for (const auto& finding : state.findings) {
    if (!finding.saveError.empty()) continue;  // said on stderr: there is no file to name
    lines.push_back(fmt::format("{} {} ({} bytes, {:.1f} s, {} inputs): {}", finding.kind, finding.path,
                                finding.inputBytes, finding.seconds, finding.hits, finding.detail));
  }
  return lines;
}

}  // namespace sockspec::app
