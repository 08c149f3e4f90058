#include "blackbox/leak_watch.h"

#include <fmt/format.h>

#include <algorithm>
#include <thread>
#include <utility>

namespace sockspec::blackbox {

namespace {

using Clock = std::chrono::steady_clock;

std::size_t countOf(const process::ProcessTreeFacts& facts, LeakedResource resource) {
  return resource == LeakedResource::Descriptors ? facts.descriptors : facts.closeWaitSockets;
}

std::string_view nameOf(LeakedResource resource) {
  return resource == LeakedResource::Descriptors ? "descriptors" : "CLOSE-WAIT sockets";
}

// How a count is taken once the server has finished with the last exchange: the same counts twice, `apart`
// from each other, within `within`.
struct Settling {
  bool closeWait;  // count CLOSE-WAIT sockets too (sock_diag: expensive, process_facts.h)
  std::chrono::milliseconds apart;
  std::chrono::milliseconds within;
};
// Around a leak's repeats: a server may close its side just after ours.
constexpr Settling kAroundRepeats{true, std::chrono::milliseconds(20), std::chrono::milliseconds(500)};
// After each of the first inputs, judged alone: descriptors only, cheap enough for every seed.
constexpr Settling kAfterEachSeed{false, std::chrono::milliseconds(5), std::chrono::milliseconds(200)};

process::ProcessTreeFacts settledFacts(process::TargetSession& target, const Settling& settling) {
  auto facts = process::readProcessTreeFacts(target.processes(), settling.closeWait);
  Deadline deadline = Deadline::after(settling.within);
  // Bounded by the deadline.
  while (!deadline.expired()) {
    std::this_thread::sleep_for(settling.apart);
    auto again = process::readProcessTreeFacts(target.processes(), settling.closeWait);
    bool same = again.descriptors == facts.descriptors && again.closeWaitSockets == facts.closeWaitSockets;
    facts = again;
    if (same) break;
  }
  return facts;
}

}  // namespace

std::optional<Finding> repeatForLeak(process::TargetSession& target, const std::vector<std::uint8_t>& input,
                                     const SendInput& send) {
  auto before = settledFacts(target, kAroundRepeats);
  for (std::size_t i = 0; i < LeakWatch::kRepeats; ++i) {
    if (!send(input)) return std::nullopt;
  }
  auto after = settledFacts(target, kAroundRepeats);
  if (after.processes == 0) return std::nullopt;  // it died: a crash, for the exchange to tell
  for (auto resource : {LeakedResource::Descriptors, LeakedResource::CloseWaitSockets}) {
    std::size_t from = countOf(before, resource);
    std::size_t to = countOf(after, resource);
    if (to >= from + LeakWatch::kRepeats / 2) {
      return Finding{FindingKind::Leak,
                     fmt::format("{} grew from {} to {} over {} repeats of this input", nameOf(resource), from, to,
                                 LeakWatch::kRepeats),
                     fmt::format("leak: {}", nameOf(resource))};
    }
  }
  return std::nullopt;
}

bool LeakWatch::Series::add(std::size_t value) {
  lowest = std::min(lowest.value_or(value), value);
  samples.push_back(value);
  if (samples.size() > kRising + 1) samples.erase(samples.begin());
  if (samples.size() <= kRising || value < *lowest + kGrowth) return false;
  // Never down over the last kRising samples, and up over them: a leak does not give back.
  for (std::size_t i = 1; i < samples.size(); ++i) {
    if (samples[i] < samples[i - 1]) return false;
  }
  return samples.back() > samples.front();
}

void LeakWatch::checkFirstAlone(std::size_t inputs) {
  m_aloneLeft = std::min(inputs, kCheckedAlone);
}

std::optional<LeakFinding> LeakWatch::checkAlone(process::TargetSession& target,
                                                 const std::vector<std::uint8_t>& input, const SendInput& send) {
  --m_aloneLeft;
  std::size_t now = settledFacts(target, kAfterEachSeed).descriptors;
  std::optional<std::size_t> before = std::exchange(m_settled, now);
  // The first input after a start has nothing to be compared with (the server's own start-up opens files).
  if (!before || now <= *before || m_aloneRepeatsLeft == 0) return std::nullopt;
  --m_aloneRepeatsLeft;
  auto finding = repeatForLeak(target, input, send);
  m_settled = settledFacts(target, kAfterEachSeed).descriptors;
  if (!finding) return std::nullopt;
  finding->detail += fmt::format(" (first run alone, it left {} more open)", now - *before);
  return LeakFinding{std::move(*finding), input};
}

std::optional<LeakFinding> LeakWatch::afterInput(process::TargetSession& target,
                                                 const std::vector<std::uint8_t>& input, const SendInput& send,
                                                 std::optional<std::string>& note) {
  if (!target.startedByUs()) return std::nullopt;
  if (m_aloneLeft != 0) {
    if (auto finding = checkAlone(target, input, send)) return finding;
  }
  m_recent.push_back(input);
  if (m_recent.size() > kRecent) m_recent.pop_front();
  if (++m_inputs % kSampleEvery != 0) return std::nullopt;
  auto processes = target.processes();
  auto facts = process::readProcessTreeFacts(processes, false);
  if (facts.processes == 0) return std::nullopt;
  bool descriptors = m_descriptors.add(facts.descriptors);
  // A socket in CLOSE-WAIT is a descriptor the server holds: only once descriptors have grown is it worth
  // asking the kernel which sockets are (an expensive question, process_facts.h).
  bool closeWait = false;
  if (facts.descriptors >= *m_descriptors.lowest + kGrowth) {
    closeWait = m_closeWait.add(process::readProcessTreeFacts(processes).closeWaitSockets);
  }
  if (!descriptors && !closeWait) return std::nullopt;
  m_settled.reset();  // the repeats below change the counts
  // Newest first: the input that leaks is most likely among those since the count began to rise.
  bool interrupted = false;
  auto sendUnlessInterrupted = [&](const std::vector<std::uint8_t>& again) {
    interrupted = interrupted || !send(again);
    return !interrupted;
  };
  for (auto candidate = m_recent.rbegin(); candidate != m_recent.rend() && !interrupted; ++candidate) {
    if (auto finding = repeatForLeak(target, *candidate, sendUnlessInterrupted)) {
      auto grown = descriptors ? m_descriptors : m_closeWait;
      finding->detail += fmt::format(" ({} rose from {} to {} over {} inputs)", descriptors ? "descriptors" : "CLOSE-WAIT sockets",
                                     *grown.lowest, grown.samples.back(), m_inputs);
      return LeakFinding{std::move(*finding), *candidate};
    }
  }
  if (interrupted) return std::nullopt;
  if (!m_noted) {
    m_noted = true;
    note = fmt::format("the server's {} rose from {} to {} over {} inputs, but none of the last {} inputs repeats it "
                       "alone: not saved",
                       descriptors ? "descriptors" : "CLOSE-WAIT sockets",
                       descriptors ? *m_descriptors.lowest : *m_closeWait.lowest,
                       descriptors ? facts.descriptors : facts.closeWaitSockets, m_inputs, m_recent.size());
  }
  // Not searched again until the count has grown as much once more.
  m_recent.clear();
  m_descriptors.lowest = facts.descriptors;
  m_closeWait.lowest = facts.closeWaitSockets;
  return std::nullopt;
}

void LeakWatch::restarted() {
  m_inputs = 0;
  m_settled.reset();
  m_recent.clear();
  m_descriptors = {};
  m_closeWait = {};
  m_noted = false;
}

}  // namespace sockspec::blackbox
