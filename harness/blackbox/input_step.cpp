#include "blackbox/input_step.h"

#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>

#include "base/sys_error.h"
#include "blackbox/conversation_exchange.h"
#include "blackbox/reply_feedback.h"

namespace sockspec::blackbox {

void FuzzedServer::setHangTimeout(std::chrono::milliseconds hangTimeout) {
  limits.hangTimeout = hangTimeout;
  limits.connectTimeout = hangTimeout;
  timing = ReplyTiming(hangTimeout);
}

Expected<void, std::string> FuzzedServer::watchCoverage() {
  auto made = ServerCoverage::create();
  if (!made) return Unexpected{made.error()};
  coverage.emplace(std::move(*made));
  if (::setenv(SOCKSPEC_COVERAGE_ENV, coverage->path().c_str(), 1) != 0) {
    return Unexpected{"coverage region: " + SysError{errno, "setenv"}.describe()};
  }
  return {};
}

process::ActivityWatch* FuzzedServer::serverActivity() {
  pid_t pid = target->pid();
  if (pid <= 0) return nullptr;
  // The pid is the target's tree supervisor's (process/target_command.h), which only waits for the server:
  // the server is what runs below it.
  if (!activity || activity->root() != pid) activity.emplace(pid, process::WatchedRoot::ChildrenOnly);
  return &*activity;
}

InputStep FuzzedServer::step(const FuzzProtocol& protocol, net::Bytes input, std::span<std::uint8_t> counters,
                             std::span<std::uint8_t> edges) {
  InputStep step;
  bool greyBox = this->greyBox();
  if (greyBox) coverage->clear();
  ReplyWaits waits = timing.waits(serverActivity());
  step.result = exchangeFor(target->endpoint(), protocol, input, waits, limits);
  if (step.result.interrupted) {
    step.interrupted = true;
    return step;
  }
  if (step.result.connectFailure) {
    // The server stopped accepting between inputs: the previous input did it (or the server failed by
    // itself, which the reproducer then shows by not reproducing).
    step.finding = judgeConnectFailure(*target, *step.result.connectFailure, limits);
    step.blamesPrevious = true;
  } else {
    step.finding = judgeExchange(*target, protocol, input, step.result, limits, waits);
    step.blamesPrevious = step.finding && refusedBeforeAnyReply(*target, step.result);
  }
  // A wait for the server's exit cut short: the verdict may be wrong.
  step.interrupted = limits.stopped();
  if (step.finding || step.interrupted) return step;
  timing.learn(step.result);
  recordReplyFeatures(protocol, input, step.result, counters);
  if (greyBox) {
    coverage->takeEdges(edges);
    bool missed = coverage->flushesMissed();
    if (missed && !flushMissNoted) {
      step.coverageNote = fmt::format(
          "grey-box: the server's coverage runtime did not answer {} flushes in a row ({} ms each), so its "
          "inline-8bit-counters are not read until it restarts: a server that forks or daemonizes away from "
          "the process that started it keeps them where sockspec cannot ask (build it with "
          "-fsanitize-coverage=trace-pc-guard, docs/grey-box.md)",
          ServerCoverage::kFlushMisses, ServerCoverage::kFlushWait.count());
    }
    flushMissNoted = missed;
    step.comparisons = coverage->takeComparisons();
    comparisonMemory.remember(input.data(), input.size(), step.comparisons);
  }
  return step;
}

}  // namespace sockspec::blackbox
