#include "blackbox/reply_timing.h"

#include <algorithm>

namespace sockspec::blackbox {

using std::chrono::microseconds;

microseconds ReplyTiming::Window::largest() const {
  std::size_t filled = std::min(count, kWindow);
  return filled == 0 ? microseconds(0) : *std::max_element(samples.begin(), samples.begin() + filled);
}

microseconds ReplyTiming::learned(const Window& window) const {
  microseconds hang = m_hang;
  if (window.count < kLearnAfter) return hang;
  return std::min(hang, 2 * window.largest() + microseconds(1000));
}

ReplyWaits ReplyTiming::waits(process::ActivityWatch* server) const {
  ReplyWaits waits;
  if (server != nullptr && !m_restDistrusted) {
    waits.rest = server;
    // Not before the waits are learned: an audit would then wait the hang timeout.
    if (m_learnedAt) {
      std::size_t since = m_exchanges - *m_learnedAt;
      waits.auditRest = since < kAuditFirst || since % kAuditEvery == 0;
    }
  }
  waits.firstByte = learned(m_firstByte);
  waits.quietGap = learned(m_gaps);
  // Waited for until it is known not to close: the first inputs find out.
  waits.awaitClose = !m_stayedOpen;
  waits.staysOpenIsHang = !m_stayedOpen && m_closedAfterFin >= kLearnAfter;
  return waits;
}

void ReplyTiming::learn(const ExchangeResult& result) {
  if (result.interrupted || result.connectFailure) return;
  ++m_exchanges;
  for (const auto& message : result.messages) {
    if (message.firstByte) m_firstByte.add(*message.firstByte);
    if (message.replyBytes != 0) m_gaps.add(message.largestGap);
    m_restWatched += message.end == ReplyEnd::Quiet || message.end == ReplyEnd::None;
    m_restEnds += message.atRest;
    m_audits += message.audited;
    m_late += message.lateAfterRest;
  }
  if (!m_learnedAt && m_firstByte.count >= kLearnAfter && m_gaps.count >= kLearnAfter) m_learnedAt = m_exchanges;
  if (!m_restDistrusted && ((m_late >= 2 && m_late * kLateShare > m_audits) ||
                            (m_restWatched >= kWatchedAtLeast && m_restEnds == 0 && m_audits == 0))) {
    m_restDistrusted = true;
  }
  if (result.messages.empty()) return;
  if (result.end != ConnectionEnd::StillOpen) {
    ++m_closedAfterFin;
  } else if (result.messages.back().end == ReplyEnd::Awaited && m_closedAfterFin < kLearnAfter) {
    // Still open after the hang timeout while it is still being learned: this server does not close.
    m_stayedOpen = true;
  }
}

std::optional<std::string> ReplyTiming::takeRestNote() {
  if (!m_restDistrusted || m_restNoted) return std::nullopt;
  m_restNoted = true;
  if (m_late >= 2) {
    return "replies now end by the quiet gap only: the server sent more after it was at rest (" + std::to_string(m_late) +
           " of " + std::to_string(m_audits) + " checked replies)";
  }
  return "replies now end by the quiet gap only: the server was never seen at rest in " +
         std::to_string(m_restWatched) + " replies";
}

}  // namespace sockspec::blackbox
