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
// The waits only shorten what the fuzzer reads; verdicts rest on the hang timeout alone, so a gap learned
// too short on a loaded machine costs feedback, never a false finding.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>

#include "blackbox/input_exchange.h"

namespace sockspec::blackbox {

struct ReplyWaits {
  std::chrono::microseconds firstByte{1'000'000};
  std::chrono::microseconds quietGap{1'000'000};
  bool awaitClose = true;  // after the last message, wait for the server's close up to the hang timeout
  // The server has closed after every conversation so far (kLearnAfter of them at least): one it leaves
  // open past the hang timeout is a hang. Saved with a reproducer, so that replay judges it alike.
  bool staysOpenIsHang = false;
};

class ReplyTiming {
 public:
  static constexpr std::size_t kWindow = 64;
  static constexpr std::size_t kLearnAfter = 8;

  explicit ReplyTiming(std::chrono::milliseconds hangTimeout) : m_hang(hangTimeout) {}

  ReplyWaits waits() const;
  // Learns from an exchange that is no finding (a finding's timings are the server failing, not its pace).
  void learn(const ExchangeResult& result);

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
};

}  // namespace sockspec::blackbox
