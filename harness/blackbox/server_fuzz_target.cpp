#include "blackbox/server_fuzz_target.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <optional>

#include "blackbox/fault_verdict.h"
#include "blackbox/fuzz_target.h"
#include "blackbox/input_step.h"
#include "blackbox/libfuzzer_feed.h"
#include "blackbox/random_block_mutation.h"
#include "blackbox/reply_feedback.h"
#include "blackbox/service_model.h"
#include "net/endpoint.h"

// The feedback counters, read by libFuzzer as coverage after each input and cleared before the next
// (compiler-rt FuzzerExtraCounters.cpp), as in the engine of `sockspec fuzz` (fuzz_engine.cpp).
__attribute__((section("__libfuzzer_extra_counters"),
               used)) static std::uint8_t g_serverReplyCounters[sockspec::blackbox::kFeedbackCounters];
// Grey-box: the server's own edges (server_coverage.h).
__attribute__((section("__libfuzzer_extra_counters"),
               used)) static std::uint8_t g_serverEdgeCounters[sockspec::blackbox::ServerCoverage::kEdgeSlots];

namespace sockspec::blackbox {

namespace {

// libFuzzer calls plain functions: the one server of this process and what is learnt about it.
struct Host {
  ServerFuzzTargetOptions options;
  FuzzedServer server;
  std::optional<TempDirectory> work;  // the server's output and files
};

Host& host() {
  static Host instance;
  return instance;
}

void writeErr(const std::string& text) {
  // Nothing to do about a closed stderr: the abort still tells libFuzzer.
  (void)!::write(2, text.data(), text.size());
}

void stopServer() {
  Host& h = host();
  if (h.server.target) (void)h.server.target->stop();
  h.server.target.reset();
  h.server.activity.reset();
  h.work.reset();
}

// Says what the server did, stops it, and aborts: libFuzzer saves the input (crash-<sha1>) on SIGABRT.
[[noreturn]] void reportAndAbort(const Finding& finding, const std::string& exchange) {
  writeErr(fmt::format("==sockspec== ERROR: {}: {}\n==sockspec== signature: {}\n==sockspec== exchange: {}\n",
                       findingKindName(finding.kind), finding.detail, finding.signature, exchange));
  if (!finding.report.empty()) writeErr(finding.report + "\n");
  stopServer();
  std::abort();
}

}  // namespace

Expected<void, std::string> startServerFuzzTarget(ServerFuzzTargetOptions options, TempDirectory work) {
  Host& h = host();
  // The reply waits of `any` are microseconds; the default timer slack of 50 us would stretch each one.
  (void)::prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
  // A server that closes early makes a send fail with EPIPE, which is a verdict, not a reason to die.
  ::signal(SIGPIPE, SIG_IGN);
  h.options = std::move(options);
  h.server.setHangTimeout(h.options.hangTimeout);
  h.work.emplace(std::move(work));
  h.options.target.workDirectory = h.work->path();
  // Grey-box when the server has the coverage runtime (docs/grey-box.md).
  if (!h.options.target.command.empty() && !h.options.noCoverage) {
    if (auto watched = h.server.watchCoverage(); !watched) writeErr("==sockspec== black-box: " + watched.error() + "\n");
  }
  auto target = openFuzzTarget(h.options.target, h.options.protocol);
  if (!target) return Unexpected{target.error()};
  h.server.target.emplace(std::move(*target));
  std::string warmUp = h.options.protocol.probe;
  std::array<std::uint8_t, kFeedbackCounters> scratch{};
  for (std::size_t i = 0; i < ReplyTiming::kLearnAfter; ++i) {
    net::Bytes input(reinterpret_cast<const std::uint8_t*>(warmUp.data()), warmUp.size());
    auto step = h.server.step(h.options.protocol, input, scratch);
    if (step.finding) {
      std::string why =
          fmt::format("{} failed on the warm-up ({}): {}", h.server.target->describe(),
                      warmUp.empty() ? "an empty conversation" : "the probe", step.finding->detail);
      stopServer();
      return Unexpected{why};
    }
  }
  if (h.server.greyBox()) {
    writeErr(fmt::format("==sockspec== grey-box: the server's coverage runtime registered {} edges\n",
                         h.server.coverage->edgesInBinary()));
  }
  return {};
}

bool serverFuzzTargetGreyBox() { return host().server.greyBox(); }

int serverFuzzTargetInput(const std::uint8_t* data, std::size_t size) {
  Host& h = host();
  net::Bytes input(data, size);
  auto step = h.server.step(h.options.protocol, input, g_serverReplyCounters, g_serverEdgeCounters);
  if (step.finding && step.blamesPrevious) {
    // Gone before this input, after the one before it passed the accept check: it died later by itself or
    // after a delay. libFuzzer can only save the input it is running, which would not reproduce this.
    writeErr(fmt::format("==sockspec== the server failed between inputs ({}); restarting it\n",
                         step.finding->detail));
    if (auto restarted = h.server.target->restart(); !restarted) {
      writeErr("==sockspec== could not restart the server: " + restarted.error() + "\n");
      stopServer();
      std::_Exit(2);
    }
    return -1;
  }
  if (!step.finding && net::isConnectionOriented(h.server.target->endpoint().transport)) {
    // A server that no longer accepts has crashed for its clients: blamed on this input, which did it.
    if (auto failure = h.server.target->probe())
      step.finding = judgeConnectFailure(*h.server.target, *failure, h.server.limits);
  }
  if (step.finding) reportAndAbort(*step.finding, describeExchange(h.options.protocol, input, step.result));
  if (step.coverageNote) writeErr("==sockspec== " + *step.coverageNote + "\n");
  feedComparisonsToLibFuzzer(step.comparisons);
  return 0;
}

std::size_t serverFuzzTargetMutate(std::uint8_t* data, std::size_t size, std::size_t maxSize,
                                   unsigned int seed,
                                   std::size_t (*libFuzzerMutate)(std::uint8_t*, std::size_t, std::size_t)) {
  Host& h = host();
  return mutateInput(data, size, maxSize, seed, libFuzzerMutate, h.server.greyBox() ? &h.server.comparisonMemory : nullptr);
}

}  // namespace sockspec::blackbox
