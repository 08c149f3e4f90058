// How long `--service any` waits for replies it cannot predict, learned from the server's own replies so
// that no input pays a fixed sleep: a message whose reply has not begun within the first-byte wait got none,
// and a reply is over once the server has been quiet for the quiet gap. Both are twice the largest
// such time seen in the last kWindow replies, plus 1 ms for the scheduler, and never more than the hang
// timeout; until kLearnAfter replies have been seen they are the hang timeout (the first inputs, the seeds,
// are slow and teach the rest).
// Whether the server closes the connection once the client has sent its FIN is learned too: a server that
// has closed after each of the first kLearnAfter conversations and never stayed open is waited for (up to the
// hang timeout) after each input's last message, so that one that then stays open is a hang; any other
// server is not, and only the probe (fault_verdict.h) can find it hung.
// With --target-cmd a reply also ends once the server is at rest (process/process_activity.h: every thread
// asleep waiting for input, having run since the message was sent) and nothing more is queued: tens of
// microseconds instead of a quiet gap. Whether this server can be trusted to be done when at rest is learned
// too: once the waits are learned, one reply of each of the next kAuditFirst exchanges and of every
// kAuditEvery-th after that is waited out for the quiet gap anyway (the first that ended at rest). An audit
// costs a gap of milliseconds where a rest costs tens of microseconds: measured against the reference echo
// server, audits of every reply of every 64th exchange, from the first (whose waits are still the hang
// timeout), took half the run's time; once bytes have come after a rest more than once, and in more than 1 of
// kLateShare audits, rests end no reply again (a server that hands work to a process outside its tree, or
// waits on a timer of its event loop); nor once kWatchedAtLeast replies were watched and none ended at rest.
// The waits only shorten what the fuzzer reads; verdicts rest on the hang timeout alone, so a gap learned
// too short on a loaded machine, or a rest taken for an end, costs feedback, never a false finding.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "blackbox/input_exchange.h"
#include "process/process_activity.h"

namespace sockspec::blackbox {

struct ReplyWaits {
  std::chrono::microseconds firstByte{1'000'000};
  std::chrono::microseconds quietGap{1'000'000};
  bool awaitClose = true;  // after the last message, wait for the server's close up to the hang timeout
  // The server has closed after every conversation so far (kLearnAfter of them at least): one it leaves
  // open past the hang timeout is a hang. Saved with a reproducer, so that replay judges it alike.
  bool staysOpenIsHang = false;
  process::ActivityWatch* rest = nullptr;  // the server's processes, when a rest may end a reply
  bool auditRest = false;       // a rest ends no reply here: the quiet gap is waited and bytes in it counted
};

class ReplyTiming {
 public:
  static constexpr std::size_t kWindow = 64;
  static constexpr std::size_t kLearnAfter = 8;

  explicit ReplyTiming(std::chrono::milliseconds hangTimeout) : m_hang(hangTimeout) {}

  static constexpr std::size_t kAuditFirst = 32;
  static constexpr std::size_t kAuditEvery = 512;
  static constexpr std::size_t kLateShare = 32;
  static constexpr std::size_t kWatchedAtLeast = 256;

  // `server`: the processes of a server sockspec started, nullptr for none.
  ReplyWaits waits(process::ActivityWatch* server = nullptr) const;
  // Learns from an exchange that is no finding (a finding's timings are the server failing, not its pace).
  void learn(const ExchangeResult& result);
  // Once, when rests stop ending replies: why, for the progress log.
  std::optional<std::string> takeRestNote();

 private:
  struct Window {
    std::array<std::chrono::microseconds, kWindow> samples{};
    std::size_t count = 0;  // samples ever added
    void add(std::chrono::microseconds sample) { samples[count++ % kWindow] = sample; }
    std::chrono::microseconds largest() const;
  };

  std::chrono::microseconds learned(const Window& window) const;

  std::chrono::milliseconds m_hang;
  Window m_firstByte;
  Window m_gaps;
  std::size_t m_closedAfterFin = 0;
  bool m_stayedOpen = false;
  std::size_t m_exchanges = 0;  // learnt from
  std::optional<std::size_t> m_learnedAt;  // m_exchanges when both waits were first learned (audits count from it)
  std::size_t m_restWatched = 0;
  std::size_t m_restEnds = 0;
  std::size_t m_audits = 0;
  std::size_t m_late = 0;
  bool m_restDistrusted = false;
  bool m_restNoted = false;
};

}  // namespace sockspec::blackbox
