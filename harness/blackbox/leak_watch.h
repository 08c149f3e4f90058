// Leaks across inputs, for a server sockspec started (--target-cmd): the descriptors and the CLOSE-WAIT
// sockets of its processes (process/process_facts.h). The first inputs of a run (the seeds, as libFuzzer
// runs them first; at most kCheckedAlone) are each judged alone: descriptors counted once the server has
// settled after each, and one that left more open than before is repeated kRepeats times (below), so a leak
// that ordinary traffic makes is found whatever the mutations do later. After them, descriptors are
// sampled every kSampleEvery inputs (CLOSE-WAIT only
// once descriptors have grown by kGrowth: those sockets are descriptors too). A resource that
// has grown by kGrowth or more above its lowest count since the server started, and over the last kRising
// samples never fell and rose, is suspected; then each of the last inputs (newest first) is sent kRepeats times
// more and the one after which the count grew by at least kRepeats / 2 is the finding, with the figures.
// No input found, no finding: a leak that only a mix of inputs makes is said once, as progress, never
// saved as a reproducer that would not reproduce. Resident memory is not judged (a cache that grows with
// new keys is no leak; telling them apart needs more than these counts).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "blackbox/fault_verdict.h"
#include "process/process_facts.h"
#include "process/target_session.h"

namespace sockspec::blackbox {

struct LeakFinding {
  Finding finding;
  std::vector<std::uint8_t> input;
};

// Sends one input to the server and waits for the exchange to end (the engine's exchange); false when an
// interrupt came, which ends the repeats at once.
using SendInput = std::function<bool(const std::vector<std::uint8_t>&)>;

enum class LeakedResource { Descriptors, CloseWaitSockets };

// What repeating `input` kRepeats times did to the server's processes: the finding when a resource grew by
// kRepeats / 2 or more. Also what replay uses to judge a leak's reproducer.
std::optional<Finding> repeatForLeak(process::TargetSession& target, const std::vector<std::uint8_t>& input,
                                     const SendInput& send);

class LeakWatch {
 public:
  static constexpr std::size_t kSampleEvery = 64;
  static constexpr std::size_t kGrowth = 16;
  static constexpr std::size_t kRising = 3;
  static constexpr std::size_t kRecent = 64;  // inputs kept to look for the one that leaks
  static constexpr std::size_t kRepeats = 16;
  static constexpr std::size_t kCheckedAlone = 256;  // the most inputs judged alone, from the start
  static constexpr std::size_t kAloneRepeated = 8;   // the most of them repeated for a leak, per run

  // After each input that was no finding. Returns a finding when one input leaks; `note` is set (once per
  // start of the server) when growth was seen that no single input repeats.
  std::optional<LeakFinding> afterInput(process::TargetSession& target, const std::vector<std::uint8_t>& input,
                                        const SendInput& send, std::optional<std::string>& note);
  // After the server was restarted: its counts start again.
  void restarted();
  // The first `inputs` inputs of the run (capped at kCheckedAlone) are judged alone (above).
  void checkFirstAlone(std::size_t inputs);

 private:
  struct Series {
    std::vector<std::size_t> samples;  // the last kRising + 1
    std::optional<std::size_t> lowest;
    bool add(std::size_t value);  // true when suspected
  };

  std::optional<LeakFinding> checkAlone(process::TargetSession& target, const std::vector<std::uint8_t>& input,
                                        const SendInput& send);

  std::size_t m_inputs = 0;
  std::size_t m_aloneLeft = 0;        // inputs still to be judged alone
  std::size_t m_aloneRepeatsLeft = kAloneRepeated;
  std::optional<std::size_t> m_settled;  // descriptors once settled after the last input judged alone
  std::deque<std::vector<std::uint8_t>> m_recent;
  Series m_descriptors;
  Series m_closeWait;
  bool m_noted = false;
};

}  // namespace sockspec::blackbox
