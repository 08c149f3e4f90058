#include "runner/scenario_execution.h"

#include <fmt/format.h>
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>

#include "runner/scenario_sockets.h"
#include "runner/step_runner.h"
#include "runner/wire_assertions.h"
#include "scenario/printer.h"
#include "scenario/symbols.h"
#include "scenario/verbs.h"

namespace sockspec::runner {

namespace {

// Before a wire step: the packets a close just provoked (FIN, ACK, RST) are on lo within microseconds; wait
// until the wire has been quiet this long, but never longer than the limit.
constexpr std::chrono::milliseconds kWireQuiet{20};
constexpr std::chrono::milliseconds kWireSettleLimit{300};

// An inet socket address as the dissector writes endpoints (IPv4 as ::ffff:a.b.c.d); nullopt for the rest.
std::optional<capture::PacketEndpoint> wireEndpoint(const net::SockAddr& address) {
  capture::PacketEndpoint endpoint;
  if (address.family() == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, address.get(), sizeof(in));
    endpoint.address.bytes[10] = 0xff;
    endpoint.address.bytes[11] = 0xff;
    std::memcpy(endpoint.address.bytes.data() + 12, &in.sin_addr, 4);
    endpoint.port = ntohs(in.sin_port);
    return endpoint;
  }
  if (address.family() == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, address.get(), sizeof(in6));
    std::memcpy(endpoint.address.bytes.data(), &in6.sin6_addr, 16);
    endpoint.port = ntohs(in6.sin6_port);
    return endpoint;
  }
  return std::nullopt;
}

enum class WireStepResult { Asserted, Skipped };

// Checks one wire step against the packets captured so far. Returns the mismatch text, if any, through
// `failure`; a step that cannot be checked is Skipped with the reason in `reason`.
// `settled`: the capture has settled since the last socket step, so a run of wire steps waits only once.
WireStepResult runWireStep(const scenario::Step& step, ScenarioSockets& sockets, const JobContext& wire,
                           bool& settled, std::string& failure, std::string& reason) {
  if (!sockets.isTcp()) {
    reason = fmt::format("wire steps do not apply to {}: it sends no packets",
                         scenario::familyName(sockets.family()));
    return WireStepResult::Skipped;
  }
  if (wire.capture == nullptr) {
    reason = wire.missingReason.empty() ? "nothing was captured" : wire.missingReason;
    return WireStepResult::Skipped;
  }
  const std::string& name = step.arguments[1].text;
  const NamedSocket& socket = *sockets.find(name);
  auto local = wireEndpoint(socket.local);
  auto peer = wireEndpoint(socket.peer);
  if (!local || !peer || peer->port == 0) {
    failure = fmt::format("'{}' has no connection to look for on the wire: connect or accept it first", name);
    return WireStepResult::Asserted;
  }
  if (!settled) wire.capture->settle(kWireQuiet, kWireSettleLimit);
  settled = true;
  // A lost packet could be the very FIN or RST asserted on: incomplete evidence is no evidence.
  if (std::uint64_t dropped = wire.capture->droppedSoFar(); dropped > 0) {
    reason = fmt::format("the capture dropped {} packets: the wire record is incomplete", dropped);
    return WireStepResult::Skipped;
  }
  auto assertion = scenario::valueOf(scenario::wireAssertions(), step.arguments[0].text);
  if (!assertion) {  // the parser lets none through
    failure = fmt::format("unknown wire assertion '{}'", step.arguments[0].text);
    return WireStepResult::Asserted;
  }
  failure = wireAssertionMismatch(*assertion, step.expect.count, ConnectionEnds{*local, *peer},
                                  wire.capture->tcpPackets());
  return WireStepResult::Asserted;
}

}  // namespace

std::string checkId(const scenario::Scenario& scenario, scenario::Family family) {
  return fmt::format("{}[{}]", scenario.id, scenario::familyName(family));
}

bool hasWireSteps(const scenario::Scenario& scenario) {
  return std::any_of(scenario.steps.begin(), scenario.steps.end(),
                     [](const scenario::Step& step) { return step.verb == scenario::Verb::Wire; });
}

report::CheckResult describeCheck(const scenario::Scenario& scenario, scenario::Family family) {
  report::CheckResult result;
  result.id = checkId(scenario, family);
  result.family = std::string(scenario::familyName(family));
  result.file = scenario.file;
  result.line = scenario.steps.empty() ? 1 : scenario.steps.front().place.line;
  result.claims = scenario.claims;
  result.refutes = scenario.refutes;
  result.source = scenario.source;
  result.title = scenario.title;
  return result;
}

report::CheckResult executeScenario(const scenario::Scenario& scenario, scenario::Family family,
                                    const std::string& workDirectory, const JobContext& wire) {
  auto started = std::chrono::steady_clock::now();
  report::CheckResult result = describeCheck(scenario, family);
  auto finish = [&](report::Status status, int line, std::string message) {
    result.status = status;
    if (line > 0) result.line = line;
    result.message = std::move(message);
    result.durationMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return result;
  };

  ScenarioSockets sockets(family, workDirectory);
  sockets.setOwnNetworkNamespace(wire.ownNetworkNamespace);
  sockets.setTarget(wire.target);
  bool settled = false;
  for (const scenario::Step& step : scenario.steps) {
    if (step.verb == scenario::Verb::Wire) {
      std::string failure;
      std::string reason;
      if (runWireStep(step, sockets, wire, settled, failure, reason) == WireStepResult::Skipped) {
        ++result.wireSkipped;
        if (result.wireSkipReason.empty()) result.wireSkipReason = reason;
        continue;
      }
      ++result.wireAsserted;
      if (!failure.empty()) {
        return finish(report::Status::Failed, step.place.line,
                      fmt::format("{}: {}", scenario::printStep(step), failure));
      }
      continue;
    }
    // "repeat N STEP": every repetition must meet the expectation; a failure names which one.
    // Bounded: step.repeat is at most scenario::kMaxRepeat, each run bounded by the step's deadline.
    for (std::int64_t repetition = 1; repetition <= step.repeat; ++repetition) {
      auto outcome = runStep(step, sockets);
      settled = false;
      if (wire.capture != nullptr) wire.capture->drain();
      std::string failure = outcome ? mismatch(step.expect, *outcome, step.verb) : outcome.error();
      if (failure.empty()) continue;
      const std::string which =
          step.repeat == 1 ? "" : fmt::format("repetition {} of {}: ", repetition, step.repeat);
      return finish(report::Status::Failed, step.place.line,
                    fmt::format("{}: {}{}", scenario::printStep(step), which, failure));
    }
  }
  return finish(report::Status::Passed, 0, "");
}

}  // namespace sockspec::runner
