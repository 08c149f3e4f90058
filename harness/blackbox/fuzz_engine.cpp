#include "blackbox/fuzz_engine.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <vector>

#include "base/exit_codes.h"
#include "blackbox/conversation_exchange.h"
#include "blackbox/fault_verdict.h"
#include "blackbox/finding_shrinker.h"
#include "blackbox/input_exchange.h"
#include "blackbox/input_step.h"
#include "blackbox/leak_watch.h"
#include "blackbox/libfuzzer_feed.h"
#include "blackbox/random_block_mutation.h"
#include "blackbox/reply_feedback.h"
#include "blackbox/reproducer_files.h"
#include "process/interrupt_signals.h"

// libFuzzer's entry point for programs with their own main (compiler-rt FuzzerInterface.h).
extern "C" int LLVMFuzzerRunDriver(int* argc, char*** argv,
                                   int (*callback)(const std::uint8_t* data, std::size_t size));

// libFuzzer's own mutations, for our custom mutator to fall back on (compiler-rt FuzzerInterface.h).
extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t maxSize);

// The feedback counters. libFuzzer finds this section through __start_/__stop___libfuzzer_extra_counters,
// reads it as coverage after each input and clears it before the next (compiler-rt FuzzerExtraCounters.cpp).
__attribute__((section("__libfuzzer_extra_counters"),
               used)) static std::uint8_t g_replyCounters[sockspec::blackbox::kFeedbackCounters];
// Grey-box: the server's own edges (server_coverage.h), counted alike; all zero for a server without the
// coverage runtime.
__attribute__((section("__libfuzzer_extra_counters"),
               used)) static std::uint8_t g_serverEdges[sockspec::blackbox::ServerCoverage::kEdgeSlots];

namespace sockspec::blackbox {

namespace {

// Everything the callback needs: libFuzzer calls a plain function. One instance per worker process.
struct Worker {
  FuzzWorkerOptions options;
  FuzzedServer server;
  LeakWatch leaks;
  std::vector<std::uint8_t> previousInput;
  FuzzState state;  // execs, restarts, findings, why it stopped early; `seconds` is set when written
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point lastProgress = started;
  int progressFd = 2;
};

Worker& worker() {
  static Worker instance;
  return instance;
}

}  // namespace
}  // namespace sockspec::blackbox

// Called by libFuzzer instead of its mutation step when defined (random_block_mutation.h); grey-box, with
// what the server failed to match per input.
extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t maxSize,
                                               unsigned int seed) {
  sockspec::blackbox::FuzzedServer& server = sockspec::blackbox::worker().server;
  return sockspec::blackbox::mutateInput(data, size, maxSize, seed, LLVMFuzzerMutate,
                                         server.greyBox() ? &server.comparisonMemory : nullptr);
}

namespace sockspec::blackbox {
namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void say(const std::string& line) {
  const FuzzWorkerOptions& options = worker().options;
  std::string text = options.workers > 1
                         ? fmt::format("sockspec fuzz [{}/{}]: {}\n", options.worker, options.workers, line)
                         : "sockspec fuzz: " + line + "\n";
  // Progress for people; a failed write (stderr closed) is not worth stopping the fuzzer for.
  (void)!::write(worker().progressFd, text.data(), text.size());
}

void writeState() {
  Worker& w = worker();
  w.state.seconds = secondsSince(w.started);
  // A state that cannot be written shows in the parent as a worker that failed, with the engine's log.
  (void)writeFuzzState(w.state, w.options.stateFile());
}

void progress() {
  Worker& w = worker();
  auto now = std::chrono::steady_clock::now();
  if (now - w.lastProgress < w.options.progressEvery) return;
  w.lastProgress = now;
  double seconds = secondsSince(w.started);
  auto count = [&w](std::string_view kind) {
    return std::count_if(w.state.findings.begin(), w.state.findings.end(),
                         [kind](const FuzzFindingRecord& finding) { return finding.kind == kind; });
  };
  // A leak is only counted when there is one: the line stays as it was for the servers that have none.
  std::string leaks = count("leak") != 0 ? fmt::format(", {} leak", count("leak")) : "";
  std::string coverage = w.server.greyBox()
                             ? fmt::format(", server coverage {} of {} edges", w.state.edgesSeen,
                                           w.server.coverage->edgesInBinary())
                             : "";
  say(fmt::format("{:.0f} s: {} execs, {:.0f} exec/s, {} findings ({} crash, {} hang{}) from {} inputs, {} restarts{}",
                  seconds, w.state.execs, seconds > 0 ? static_cast<double>(w.state.execs) / seconds : 0.0,
                  w.state.findings.size(), count("crash"), count("hang"), leaks, w.state.inputsThatFailed(),
                  w.state.restarts, coverage));
  writeState();
}

bool interrupted() { return worker().server.limits.stopped(); }

// Ends the worker: the state says how far it got, the target is stopped (its files are in the work folder,
// which the parent removes).
[[noreturn]] void endWorker() {
  Worker& w = worker();
  writeState();
  if (w.server.target) {
    // After an interrupt the command has a second to end: the server is not given time for an orderly stop.
    if (interrupted()) {
      for (pid_t pid : w.server.target->processes()) ::kill(pid, SIGKILL);
    }
    (void)w.server.target->stop();
  }
  std::_Exit(kExitOk);  // not exit(): libFuzzer treats an exit() inside the callback as the target's crash
}

// Ends the worker before the time is up, saying why.
[[noreturn]] void stopEarly(const std::string& why) {
  Worker& w = worker();
  w.state.stopped = why;
  say("stopping: " + why);
  endWorker();
}

// After a finding the server gets a fresh start, whatever it did: a crashed one must, and a hung one may
// have stopped serving others too.
void restartAfterFinding() {
  Worker& w = worker();
  if (!w.server.target->startedByUs())
    stopEarly(
        fmt::format("{} was not started by sockspec and cannot be restarted", w.server.target->describe()));
  auto restarted = w.server.target->restart();
  if (interrupted()) endWorker();
  if (!restarted) stopEarly("could not restart the target: " + restarted.error());
  ++w.state.restarts;
  w.previousInput.clear();
  w.leaks.restarted();
}

// The input, shrunk against the server we started (restarting it for that) within a share of the time that
// is left; as found when it cannot be.
std::vector<std::uint8_t> shrunkInput(const Finding& finding, const std::vector<std::uint8_t>& found,
                                      const std::vector<std::uint8_t>& before) {
  Worker& w = worker();
  // A leak's input is one of the last few, repeated to be found: nothing to gain from shrinking it.
  if (!w.server.target->startedByUs() || w.options.noShrink || found.size() < 2 ||
      finding.kind == FindingKind::Leak) {
    return found;
  }
  say(fmt::format("shrinking a {} of {} bytes: {}", findingKindName(finding.kind), found.size(), finding.detail));
  auto left = std::chrono::seconds(w.options.maxTimeSeconds) -
              std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - w.started);
  ShrinkBudget budget{256, Deadline::after(std::clamp<std::chrono::milliseconds>(left / 4, std::chrono::seconds(1),
                                                                                 std::chrono::seconds(10)))};
  auto shrunk = shrinkFinding(*w.server.target, w.options.protocol, finding, found, w.server.limits,
                              w.server.timing.waits(), budget, before);
  w.state.restarts += static_cast<std::uint64_t>(shrunk.restarts);
  if (shrunk.fromPrevious) {
    say(fmt::format("the input did not fail a fresh server again; the one before it ({} bytes) did: that one "
                    "is shrunk and saved",
                    before.size()));
  }
  if (shrunk.notAlone) {
    say("neither the input nor the one before it failed a fresh server again: saved as found, unshrunk (it may "
        "not reproduce alone)");
  }
  if (shrunk.input.size() < found.size()) {
    say(fmt::format("shrunk the input from {} to {} bytes in {} tries", found.size(), shrunk.input.size(),
                    shrunk.tries));
  }
  if (shrunk.targetLost && !interrupted()) w.state.stopped = "the target could not be restarted while shrinking";
  return std::move(shrunk.input);
}

// A finding of a signature seen before is only counted; a new one is shrunk, written and said once.
// `before`: the input run just before `found` on the same server ("" when none is known), for a finding that
// does not reproduce alone (finding_shrinker.h).
void recordFinding(const Finding& finding, const std::vector<std::uint8_t>& found,
                   const std::vector<std::uint8_t>& before = {}) {
  Worker& w = worker();
  if (auto* known = w.state.findingWith(finding.signature)) {
    ++known->hits;
    restartAfterFinding();
    return;
  }
  double foundAt = secondsSince(w.started);  // before shrinking: the time it took to find
  std::vector<std::uint8_t> input = shrunkInput(finding, found, before);
  ReproducerInfo info{finding,
                      std::string(fuzzProtocolName(w.options.protocol.kind)),
                      w.server.target->describe(),
                      w.options.replayOptions,
                      w.state.execs,
                      foundAt,
                      w.server.timing.waits().staysOpenIsHang,
                      w.options.protocol.probe,
                      !net::isConnectionOriented(w.server.target->endpoint().transport)};
  auto saved = saveReproducer(w.options.artifactsDir, input, info);
  FuzzFindingRecord record;
  record.path = reproducerPath(w.options.artifactsDir, finding);
  record.kind = findingKindName(finding.kind);
  record.detail = finding.detail;
  record.signature = finding.signature;
  record.inputBytes = input.size();
  record.seconds = foundAt;
  record.kept = saved && saved->kept;
  if (!saved) record.saveError = saved.error();
  w.state.findings.push_back(record);
  say(fmt::format("{} after {} execs ({:.1f} s): {}; {} bytes -> {}", record.kind, w.state.execs, foundAt,
                  finding.detail, input.size(),
                  !saved        ? "NOT SAVED: " + saved.error()
                  : record.kept ? record.path + " (a reproducer as short is already there: kept)"
                                : record.path));
  writeState();
  // Without a place for reproducers there is no point in finding more (a full disk, most likely).
  if (!saved) stopEarly("cannot write a reproducer: " + saved.error());
  if (interrupted()) endWorker();
  if (!w.state.stopped.empty()) stopEarly(w.state.stopped);
  if (w.options.maxFindings != 0 && w.state.findings.size() >= w.options.maxFindings) {
    stopEarly(fmt::format("--max-findings {} reached", w.options.maxFindings));
  }
  restartAfterFinding();
}

int fuzzOneInput(const std::uint8_t* data, std::size_t size) {
  Worker& w = worker();
  if (interrupted()) endWorker();
  net::Bytes input(data, size);
  auto step = w.server.step(w.options.protocol, input, g_replyCounters, g_serverEdges);
  if (step.interrupted) endWorker();  // not an exec: nothing was learnt from it
  ++w.state.execs;
  w.state.messages += step.result.messages.size();
  for (const auto& message : step.result.messages) w.state.restEnds += message.atRest;
  if (step.finding) {
    // A finding is not a coverage input: mutating it would only find it again.
    if (step.blamesPrevious && !w.previousInput.empty()) {
      recordFinding(*step.finding, w.previousInput);
    } else {
      recordFinding(*step.finding, std::vector<std::uint8_t>(data, data + size), w.previousInput);
    }
    return -1;
  }
  if (auto note = w.server.timing.takeRestNote()) say(*note);
  if (step.coverageNote) say(*step.coverageNote);
  feedComparisonsToLibFuzzer(step.comparisons);
  if (w.server.coverage) w.state.edgesSeen = w.server.coverage->edgesSeen();
  w.previousInput.assign(data, data + size);
  std::optional<std::string> note;
  auto send = [&w](const std::vector<std::uint8_t>& again) {
    return !exchangeFor(w.server.target->endpoint(), w.options.protocol, net::Bytes(again.data(), again.size()),
                        w.server.timing.waits(w.server.serverActivity()), w.server.limits)
                .interrupted;
  };
  auto leak = w.leaks.afterInput(*w.server.target, w.previousInput, send, note);
  if (interrupted()) endWorker();
  if (leak) {
    recordFinding(leak->finding, leak->input);
    return 0;  // the input itself was fine; the finding is the repeats'
  }
  if (note) say(*note);
  progress();
  return 0;
}

// How many files `folder` holds, counting up to `most`.
std::size_t filesIn(const std::string& folder, std::size_t most) {
  std::error_code error;
  std::size_t count = 0;
  // Bounded by `most`.
  for (std::filesystem::directory_iterator it(folder, error), end; !error && it != end && count < most;
       it.increment(error)) {
    if (it->is_regular_file(error)) ++count;
  }
  return count;
}

}  // namespace

void runFuzzWorker(const FuzzWorkerOptions& options) {
  Worker& w = worker();
  // The parent passes SIGINT and SIGTERM on; the flag is polled between and within inputs (and by a start
  // of the target), so the worker ends within a fraction of a second, its state written, its target stopped.
  process::installInterruptHandlers();
  // The reply waits of `--service any` are microseconds (conversation_exchange.cpp); the default timer slack
  // of 50 us (prctl(2) PR_SET_TIMERSLACK) would stretch each one to at least that.
  (void)::prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
  w.options = options;
  w.server.setHangTimeout(options.hangTimeout);
  w.server.limits.stopRequested = process::interruptFlag();
  // The target's files go into the work folder, which the parent removes however this process ends.
  w.options.target.workDirectory = options.workDir;
  w.options.target.stopRequested = process::interruptFlag();
  writeState();  // a state from the start: the parent reads one whatever happens next
  // Grey-box when the server we start has the coverage runtime (docs/grey-box.md): the region is named in
  // the environment it inherits. Without a region the run is black-box, as it would be anyway.
  if (!options.target.command.empty() && !options.noCoverage) {
    if (auto watched = w.server.watchCoverage(); !watched) say("black-box: " + watched.error());
  }
  auto target = openFuzzTarget(w.options.target, w.options.protocol);
  if (!target) {
    if (interrupted()) endWorker();
    std::fprintf(stderr, "sockspec fuzz: %s\n", target.error().c_str());
    std::exit(kExitUsage);
  }
  w.server.target.emplace(std::move(*target));
  say(fmt::format("fuzzing {} ({}) for {} s; reproducers go to {}", w.server.target->describe(),
                  w.server.target->endpoint().toString(), options.maxTimeSeconds, options.artifactsDir));
  if (w.server.greyBox()) {
    w.state.edgesInBinary = w.server.coverage->edgesInBinary();
    say(fmt::format("grey-box: the server's coverage runtime registered {} edges", w.state.edgesInBinary));
  }
  writeState();
  std::atexit([] {
    writeState();
    if (worker().server.target) (void)worker().server.target->stop();
  });

  // The parent wrote the seeds there (app/fuzz_seeds.h); libFuzzer adds what it finds (and, with --jobs,
  // reads what the other workers found there every second: its -reload).
  std::string corpus = options.corpusDir();
  std::string kept = options.keptCorpus;
  // libFuzzer runs an empty input, then each seed, before it mutates (compiler-rt FuzzerLoop.cpp,
  // ReadAndExecuteSeedCorpora): those are the inputs the leak watch judges alone (leak_watch.h).
  w.leaks.checkFirstAlone(1 + filesIn(corpus, LeakWatch::kCheckedAlone) +
                          (kept.empty() ? 0 : filesIn(kept, LeakWatch::kCheckedAlone)));
  // libFuzzer's own output goes to a log in the work folder; progress lines keep the original stderr.
  w.progressFd = ::fcntl(2, F_DUPFD_CLOEXEC, 3);
  std::string log = options.engineLog();
  if (int logFd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600); logFd >= 0) {
    ::dup2(logFd, 2);
    ::close(logFd);
  }
  // libFuzzer's -timeout must outlast the longest exchange plus a restart of the target.
  auto perInputLimit =
      std::chrono::duration_cast<std::chrono::seconds>(12 * options.hangTimeout + options.target.readyTimeout)
          .count() +
      10;
  std::vector<std::string> arguments{
      "sockspec-fuzz-engine",
      fmt::format("-max_total_time={}", options.maxTimeSeconds),
      fmt::format("-timeout={}", perInputLimit),
      fmt::format("-max_len={}", options.maxLength),
      // Inputs may be as long as -max_len from the start: libFuzzer's length control lengthens inputs only
      // after a while without new features, and the reply features keep coming for short inputs.
      "-len_control=0",
      fmt::format("-artifact_prefix={}/", options.workDir),
      "-rss_limit_mb=4096",
      // libFuzzer's leak detection is for a target in its own process; ours is the server. Left on in a
      // sanitizer build, it runs every seed twice, and any input after which this process holds more
      // allocations (the corpus, the learned waits) again under LeakSanitizer (compiler-rt FuzzerLoop.cpp,
      // TryDetectingAMemoryLeak): inputs at a twentieth of the rate, and the seeds no longer the first inputs
      // run (leak_watch.h judges those alone).
      "-detect_leaks=0",
      "-print_final_stats=1",
      // Interrupts are ours (above): libFuzzer's handlers would _Exit() at once, leaving the target running.
      "-handle_int=0",
      "-handle_term=0",
  };
  // libFuzzer writes what it keeps into its first corpus folder (and with -reload reads the others' there).
  if (!kept.empty()) arguments.push_back(kept);
  arguments.push_back(corpus);
  if (options.seed != 0) arguments.insert(arguments.begin() + 1, fmt::format("-seed={}", options.seed));
  if (!options.dictionary.empty()) arguments.insert(arguments.begin() + 1, "-dict=" + options.dictionary);
  // Grey-box: how close each of the server's failed comparisons came is a feature too (libfuzzer_feed.h), so
  // a magic value compared a byte at a time is found a byte at a time.
  if (w.server.greyBox()) arguments.insert(arguments.begin() + 1, "-use_value_profile=1");
  std::vector<char*> argv;
  for (auto& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  int argc = static_cast<int>(arguments.size());
  char** argvPointer = argv.data();
  int status = LLVMFuzzerRunDriver(&argc, &argvPointer, fuzzOneInput);
  std::exit(status == 0 ? kExitOk : kExitInternal);
}

}  // namespace sockspec::blackbox
