// blackbox::shrinkFinding against a started server whose failure is deferred: the fuzz victim's stop-accepting
// fault answers "QUIT now" and only then closes its listener, so a fuzz run sees the refusal on the input
// after it. Alone on a fresh server that input does not fail; the one before it does, and is what is shrunk
// (fromPrevious). When neither fails alone, the input is kept as found (notAlone).
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "blackbox/conversation_exchange.h"
#include "blackbox/fault_verdict.h"
#include "blackbox/finding_shrinker.h"
#include "blackbox/fuzz_protocol.h"
#include "blackbox/reply_timing.h"
#include "process/target_session.h"

using namespace sockspec;
using namespace sockspec::blackbox;
using namespace std::chrono_literals;

namespace {

std::vector<std::uint8_t> bytesOf(const std::string& text) { return {text.begin(), text.end()}; }
std::string textOf(const std::vector<std::uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

struct Setting {
  process::TargetSession victim;
  FuzzProtocol protocol;
  ExchangeLimits limits;
  ReplyWaits waits;
};

Setting startVictim() {
  process::TargetSpec spec;
  spec.command = std::string(SOCKSPEC_FUZZ_VICTIM_BINARY) + " --port {port} --fault stop-accepting";
  spec.url = "tcp://127.0.0.1:{port}";
  spec.stopGrace = 500ms;
  auto victim = process::TargetSession::open(spec);
  REQUIRE(victim);
  auto protocol = makeFuzzProtocol("any", "\\r\\n", "", "PING\\n");
  REQUIRE(protocol);
  ReplyWaits waits;
  // Every complete line is answered with a "\r\n"-ended reply; an incomplete one (a shrink try) never is.
  waits.firstByte = 1s;
  waits.quietGap = 50ms;
  waits.awaitClose = false;
  ExchangeLimits limits;
  limits.hangTimeout = 500ms;
  return Setting{std::move(*victim), std::move(*protocol), limits, waits};
}

// The finding a fuzz run records for "QUIT now": its exchange passes, the next connection is refused.
Finding refusalAfterQuitNow(Setting& s) {
  auto input = bytesOf("QUIT now\n");
  auto result = exchangeFor(s.victim.endpoint(), s.protocol, net::Bytes(input.data(), input.size()), s.waits, s.limits);
  REQUIRE_FALSE(result.connectFailure);
  REQUIRE_FALSE(judgeExchange(s.victim, s.protocol, net::Bytes(input.data(), input.size()), result, s.limits, s.waits));
  auto refused = s.victim.probe();
  REQUIRE(refused);
  return judgeConnectFailure(s.victim, *refused, s.limits);
}

}  // namespace

TEST_CASE("shrinking: an input that fails only after the one before it gives way to that one, which is shrunk",
          "[live][shrink]") {
  auto s = startVictim();
  Finding finding = refusalAfterQuitNow(s);
  CAPTURE(finding.signature);
  REQUIRE(finding.signature.find("stopped accepting") != std::string::npos);
  // The input the refusal was seen on: harmless alone. The one before it: the trigger, with bytes to spare.
  auto found = bytesOf("PING\n");
  auto before = bytesOf("PING\nQUIT now\nPING\n");
  auto started = std::chrono::steady_clock::now();
  auto shrunk = shrinkFinding(s.victim, s.protocol, finding, found, s.limits, s.waits,
                              ShrinkBudget{256, Deadline::after(120s)}, before);
  INFO(shrunk.tries << " tries, " << shrunk.restarts << " restarts in "
                    << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()
                    << " ms");
  CHECK(shrunk.fromPrevious);
  CHECK_FALSE(shrunk.notAlone);
  CHECK_FALSE(shrunk.targetLost);
  // Nothing shorter than the request itself keeps the fault: "QUIT now" needs its argument and its newline.
  CHECK(textOf(shrunk.input) == "QUIT now\n");
  CHECK(shrunk.restarts >= 3);  // before the first try, after the trigger's failures
}

TEST_CASE("shrinking: when neither the input nor the one before it fails alone the input is kept as found",
          "[live][shrink]") {
  auto s = startVictim();
  Finding finding = refusalAfterQuitNow(s);
  auto found = bytesOf("PING\nPING\n");
  auto shrunk = shrinkFinding(s.victim, s.protocol, finding, found, s.limits, s.waits, ShrinkBudget{},
                              bytesOf("GET a\n"));
  CHECK(shrunk.notAlone);
  CHECK_FALSE(shrunk.fromPrevious);
  CHECK(textOf(shrunk.input) == "PING\nPING\n");
  CHECK(shrunk.tries == 2);  // the input, then the one before it: nothing else
}
