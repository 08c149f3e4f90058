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

ReplyWaits ReplyTiming::waits() const {
  ReplyWaits waits;
  waits.firstByte = learned(m_firstByte);
  waits.quietGap = learned(m_gaps);
  // Waited for until it is known not to close: the first inputs find out.
  waits.awaitClose = !m_stayedOpen;
  waits.staysOpenIsHang = !m_stayedOpen && m_closedAfterFin >= kLearnAfter;
  return waits;
}

void ReplyTiming::learn(const ExchangeResult& result) {
  if (result.interrupted || result.connectFailure) return;
  for (const auto& message : result.messages) {
    if (message.firstByte) m_firstByte.add(*message.firstByte);
    if (message.replyBytes != 0) m_gaps.add(message.largestGap);
  }
  if (result.messages.empty()) return;
  if (result.end != ConnectionEnd::StillOpen) {
    ++m_closedAfterFin;
  } else if (result.messages.back().end == ReplyEnd::Awaited && m_closedAfterFin < kLearnAfter) {
    // Still open after the hang timeout while it is still being learned: this server does not close.
    m_stayedOpen = true;
  }
}

}  // namespace sockspec::blackbox
