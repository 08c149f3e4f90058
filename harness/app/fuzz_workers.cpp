#include "app/fuzz_workers.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <thread>

#include "base/exit_codes.h"
#include "base/file_bytes.h"
#include "process/child_process.h"

namespace sockspec::app {

namespace {

// Beyond --max-time, what a worker may take to stop: the last exchange, libFuzzer's final report, and
// stopping the target (its SIGTERM grace).
constexpr auto kWorkerGrace = std::chrono::seconds(20);
// After an interrupt, what a worker may take to write its state and stop its target before it is killed
// (its target's supervisor then stops the server by itself): the command must end within 1 s.
constexpr auto kInterruptGrace = std::chrono::milliseconds(800);
// How often the parent looks at the interrupt flag and the workers while they run.
constexpr auto kWatchEvery = std::chrono::milliseconds(20);
// How often the workers' findings are counted against --max-findings (with more than one worker).
constexpr auto kCountEvery = std::chrono::milliseconds(250);

FuzzFailure internal(std::string message) { return {FuzzFailure::Kind::Internal, std::move(message)}; }

// The last `maxBytes` of a log, or nothing when it cannot be read (it only adds to another message).
std::string fileTail(const std::string& path, std::size_t maxBytes) {
  auto text = readFileBytes(path);
  if (!text) return {};
  return text->size() > maxBytes ? text->substr(text->size() - maxBytes) : *text;
}

struct RunningWorker {
  const blackbox::FuzzWorkerOptions* options;
  process::ChildProcess child;
  std::optional<process::ExitStatus> ended;
};

bool endedWithUsage(const RunningWorker& worker) {
  return worker.ended && worker.ended->exited && worker.ended->code == kExitUsage;
}

// Distinct findings saved so far among the workers, from the states they write as they go.
std::size_t distinctFindings(const std::vector<RunningWorker>& workers) {
  std::vector<blackbox::FuzzState> states;
  for (const auto& worker : workers) {
    if (auto state = blackbox::readFuzzState(worker.options->stateFile())) states.push_back(std::move(*state));
  }
  return blackbox::mergeFuzzStates(states).findings.size();
}

// "the fuzzing worker" or "fuzzing worker 2 of 4": for messages about one of them.
std::string nameOf(const blackbox::FuzzWorkerOptions& options) {
  if (options.workers == 1) return "the fuzzing worker";
  return fmt::format("fuzzing worker {} of {}", options.worker, options.workers);
}

}  // namespace

Expected<FuzzOutcome, FuzzFailure> runFuzzWorkers(const std::vector<blackbox::FuzzWorkerOptions>& workers,
                                                  int maxTimeSeconds, std::size_t maxFindings,
                                                  const volatile std::sig_atomic_t* stopRequested) {
  FuzzOutcome outcome;
  auto stop = [&] { return stopRequested != nullptr && *stopRequested != 0; };
  if (stop()) {
    outcome.interrupted = true;  // before anything was started: nothing to stop, nothing tried
    return outcome;
  }
  std::vector<RunningWorker> running;
  for (const auto& options : workers) {
    process::SpawnOptions spawn;
    spawn.captureStdout = false;  // a worker prints progress to the inherited stderr
    auto child = process::ChildProcess::spawn({"/proc/self/exe", "fuzz-worker", options.workDir}, spawn);
    // Those started already are stopped and reaped as `running` goes.
    if (!child) return Unexpected{internal(fmt::format("starting {}: {}", nameOf(options), child.error()))};
    running.push_back(RunningWorker{&options, std::move(*child), std::nullopt});
  }

  Deadline deadline = Deadline::after(std::chrono::seconds(maxTimeSeconds) + kWorkerGrace);
  Deadline nextCount = Deadline::after(kCountEvery);
  bool enoughFindings = false;
  auto allEnded = [&] {
    return std::all_of(running.begin(), running.end(), [](const RunningWorker& worker) { return worker.ended; });
  };
  // Bounded by the deadline.
  while (!allEnded() && !deadline.expired() && !stop()) {
    for (auto& worker : running) {
      if (!worker.ended) worker.ended = worker.child.wait(Deadline::after(std::chrono::milliseconds(0)));
    }
    // A target that cannot be started fails every worker alike: the first to say so ends the run.
    if (std::any_of(running.begin(), running.end(), endedWithUsage)) break;
    if (maxFindings != 0 && running.size() > 1 && nextCount.expired()) {
      nextCount = Deadline::after(kCountEvery);
      if (distinctFindings(running) >= maxFindings) {
        enoughFindings = true;
        break;
      }
    }
    std::this_thread::sleep_for(kWatchEvery);
  }
  outcome.interrupted = stop();
  bool usage = std::any_of(running.begin(), running.end(), endedWithUsage);
  if (outcome.interrupted || usage || enoughFindings) {
    // Each worker is in a process group of its own, which Ctrl-C does not reach: pass the signal on (a
    // worker ends at SIGINT and SIGTERM alike, its state written and its target stopped).
    int signal = outcome.interrupted ? static_cast<int>(*stopRequested) : SIGTERM;
    for (auto& worker : running) {
      if (!worker.ended) worker.child.signal(signal);
    }
    for (auto& worker : running) {
      if (!worker.ended) worker.ended = worker.child.wait(Deadline::after(kInterruptGrace));
      if (!worker.ended) {
        outcome.warning = fmt::format("{} did not stop within {} ms of the interrupt; killed it",
                                      nameOf(*worker.options), kInterruptGrace.count());
        worker.ended = worker.child.kill();
      }
    }
  }
  for (auto& worker : running) {
    if (worker.ended) continue;
    outcome.warning = fmt::format("{} overran --max-time; stopped it", nameOf(*worker.options));
    worker.ended = worker.child.terminate(std::chrono::milliseconds(2000));
  }
  if (!outcome.interrupted && usage) return Unexpected{FuzzFailure{FuzzFailure::Kind::UsageReported, {}}};  // said

  std::vector<blackbox::FuzzState> states;
  for (auto& worker : running) {
    auto state = blackbox::readFuzzState(worker.options->stateFile());
    bool clean = worker.ended->exited && worker.ended->code == kExitOk;
    // Interrupted before the worker wrote its first state (it writes one at once): it had done nothing.
    if (!state && outcome.interrupted) state = blackbox::FuzzState{};
    if (!state || (!clean && !outcome.interrupted && state->findings.empty())) {
      return Unexpected{internal(fmt::format("{} failed ({}); the engine's last words:\n{}", nameOf(*worker.options),
                                             worker.ended->describe(),
                                             fileTail(worker.options->engineLog(), 2000)))};
    }
    if (!clean && !outcome.interrupted) {
      outcome.warning = fmt::format("{} ended with {}; findings so far follow", nameOf(*worker.options),
                                    worker.ended->describe());
    }
    states.push_back(std::move(*state));
  }
  outcome.state = blackbox::mergeFuzzStates(states);
  if (enoughFindings && outcome.state.stopped.find("--max-findings") == std::string::npos) {
    outcome.state.stopped = fmt::format("--max-findings {} reached", maxFindings) +
                            (outcome.state.stopped.empty() ? "" : "; " + outcome.state.stopped);
  }
  return outcome;
}

}  // namespace sockspec::app
