#include "blackbox/fault_verdict.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/errno_names.h"
#include "blackbox/conversation_exchange.h"
#include "blackbox/sanitizer_report.h"

namespace sockspec::blackbox {

namespace {

// How much of a crashed server's output is searched for its sanitizer report: more than one report's usual
// size (a deep stack with its shadow bytes is ~10 KiB).
constexpr std::size_t kOutputSearched = 64 * 1024;

// A server that ended: how, and with the sanitizer report it printed, when it printed one, what it found
// (two crashes of one exit status are told apart by their reports' places).
Finding exitFinding(process::TargetSession& target, const std::string& how) {
  auto report = findSanitizerReport(target.rawOutputTail(kOutputSearched));
  if (!report) return Finding{FindingKind::Crash, fmt::format("target {}", how), fmt::format("crash: {}", how)};
  return Finding{FindingKind::Crash, fmt::format("target {}: {}", how, report->summary),
                 fmt::format("crash: {}", report->key), report->text};
}

// How the server we started ended, waiting up to `grace` in slices, so that an interrupt cuts the wait short.
std::optional<std::string> endedWithin(process::TargetSession& target, std::chrono::milliseconds grace,
                                       const ExchangeLimits& limits) {
  if (!target.startedByUs()) return std::nullopt;  // no exit to see: nothing to wait for
  Deadline deadline = Deadline::after(grace);
  // Bounded by the deadline.
  for (;;) {
    if (auto how = target.endedHow(std::min(kStopCheck, deadline.remaining()))) return how;
    if (deadline.expired() || limits.stopped()) return std::nullopt;
  }
}

// The probe, on a fresh connection or socket: nullopt when the server answered it; else the finding.
std::optional<Finding> probeFinding(process::TargetSession& target, const FuzzProtocol& protocol,
                                    const ExchangeLimits& limits) {
  ReplyWaits patient;
  patient.firstByte = limits.hangTimeout;
  patient.quietGap = std::chrono::milliseconds(1);
  patient.awaitClose = false;
  auto answer = exchangeConversation(target.endpoint(), protocol, net::asBytes(protocol.probe), patient, limits);
  if (answer.interrupted) return std::nullopt;
  if (answer.connectFailure) return judgeConnectFailure(target, *answer.connectFailure, limits);
  if (answer.replyBytes != 0 || answer.end == ConnectionEnd::OrderlyClose) return std::nullopt;
  if (auto how = endedWithin(target, kExitGrace, limits)) return exitFinding(target, *how);
  if (answer.error && answer.error->code == ECONNREFUSED) {
    return Finding{FindingKind::Crash, fmt::format("target stopped accepting: the probe got {}", answer.error->describe()),
                   "crash: stopped accepting (ECONNREFUSED)"};
  }
  return Finding{FindingKind::Hang,
                 fmt::format("the server stopped answering: the probe on a fresh {} got no reply within {} ms",
                             net::isConnectionOriented(target.endpoint().transport) ? "connection" : "socket",
                             limits.hangTimeout.count()),
                 "hang: the server stopped answering"};
}

std::optional<Finding> judgeConversation(process::TargetSession& target, const FuzzProtocol& protocol,
                                         const ExchangeResult& result, const ExchangeLimits& limits,
                                         const ReplyWaits& waits) {
  ReplyEnd last = result.messages.empty() ? ReplyEnd::None : result.messages.back().end;
  bool datagram = !net::isConnectionOriented(target.endpoint().transport);
  bool staysOpen = result.end == ConnectionEnd::StillOpen && last == ReplyEnd::Awaited;
  bool unanswered = datagram && result.end == ConnectionEnd::StillOpen && last == ReplyEnd::None;  // no close
  // An unanswered datagram may be the server dying, so its exit is waited for; not when the server was seen
  // at rest after it (every thread asleep in a wait for input, process_activity.h) and has not begun to exit:
  // it is alive. (Waiting kExitGrace after every unanswered datagram held UDP fuzzing to ~25 inputs a second.)
  bool restedAlive = unanswered && result.messages.back().atRest && !target.commandExiting();
  bool mayBeDying = staysOpen || (unanswered && !restedAlive);
  if (auto how = endedWithin(target, mayBeDying ? kExitGrace : std::chrono::milliseconds(0), limits))
    return exitFinding(target, *how);
  // A close or reset with the last message unanswered may be the server's death: its sockets are closed
  // (exit_files(), kernel/exit.c) before its exit can be seen. Its exit is waited for only when it has
  // begun (TargetSession::commandExiting), where waiting kExitGrace after every such close would cost
  // most of the run.
  bool closedUnanswered = result.end != ConnectionEnd::StillOpen &&
                          (result.end == ConnectionEnd::Reset || result.messages.empty() ||
                           result.messages.back().replyBytes == 0);
  if (closedUnanswered && target.commandExiting()) {
    if (auto how = endedWithin(target, kExitGrace, limits)) return exitFinding(target, *how);
  }
  if (datagram && result.end == ConnectionEnd::Reset && result.error && result.error->code == ECONNREFUSED) {
    return Finding{FindingKind::Crash, "target stopped accepting: its port refused a datagram (ECONNREFUSED)",
                   "crash: stopped accepting (ECONNREFUSED)"};
  }
  // Unanswered and still open: a server that stopped answering altogether, if the probe says so (a server
  // that does not close after the FIN looks like this after every input it ignores).
  bool openUnanswered = result.end == ConnectionEnd::StillOpen && (last == ReplyEnd::None || staysOpen);
  if (openUnanswered && !protocol.probe.empty()) {
    if (auto probed = probeFinding(target, protocol, limits)) return probed;
  }
  if (!staysOpen || !waits.staysOpenIsHang) return std::nullopt;
  return Finding{FindingKind::Hang,
                 fmt::format("no reply and no close within {} ms of the client's FIN, though the server closed "
                             "every conversation before{} ({})",
                             limits.hangTimeout.count(), protocol.probe.empty() ? "" : "; other connections are served",
                             describeExchange(protocol, {}, result)),
                 "hang: no close after the client's FIN"};
}

}  // namespace

std::optional<Finding> probeAfterInput(process::TargetSession& target, const FuzzProtocol& protocol,
                                       const ExchangeLimits& limits) {
  if (!protocol.any() || protocol.probe.empty()) return std::nullopt;
  return probeFinding(target, protocol, limits);
}

bool refusedBeforeAnyReply(const process::TargetSession& target, const ExchangeResult& result) {
  return !net::isConnectionOriented(target.endpoint().transport) && result.end == ConnectionEnd::Reset &&
         result.error && result.error->code == ECONNREFUSED && result.replyBytes == 0;
}

std::string_view findingKindName(FindingKind kind) {
  switch (kind) {
    case FindingKind::Crash: return "crash";
    case FindingKind::Hang: return "hang";
    case FindingKind::Leak: return "leak";
  }
  return "?";
}

Finding judgeConnectFailure(process::TargetSession& target, const net::EndpointFailure& failure,
                            const ExchangeLimits& limits) {
  // A server that died refuses at once; give it the hang timeout to show up as exited.
  if (auto how = endedWithin(target, limits.hangTimeout, limits)) return exitFinding(target, *how);
  return Finding{
      FindingKind::Crash, fmt::format("target stopped accepting: {}", failure.describe()),
      fmt::format("crash: stopped accepting ({}: {})", failure.error.call, errnoName(failure.error.code))};
}

std::optional<Finding> judgeExchange(process::TargetSession& target, const FuzzProtocol& protocol, net::Bytes input,
                                     const ExchangeResult& result, const ExchangeLimits& limits,
                                     const ReplyWaits& waits) {
  if (protocol.any()) return judgeConversation(target, protocol, result, limits, waits);
  bool complete = replyComplete(protocol, input, result);
  // A reset or a reply cut short is how a crash looks from the socket: wait a moment for the exit status.
  bool suspicious = result.end == ConnectionEnd::Reset || !complete;
  if (auto how = endedWithin(target, suspicious ? kExitGrace : std::chrono::milliseconds(0), limits))
    return exitFinding(target, *how);
  if (result.end == ConnectionEnd::StillOpen && !complete) {
    return Finding{FindingKind::Hang,
                   fmt::format("no reply and no close within {} ms ({})", limits.hangTimeout.count(),
                               describeExchange(protocol, input, result)),
                   "hang: no reply and no close"};
  }
  return std::nullopt;
}

}  // namespace sockspec::blackbox
