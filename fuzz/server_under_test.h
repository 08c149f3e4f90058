// ServerUnderTest: an in-process ReferenceServer driven from the fuzzer's own thread. The fuzzer does its
// client I/O without blocking and lets the server serve what is ready between steps (runOnce with no
// wait), so one thread plays both sides and no input depends on a scheduler. Every wait is bounded: no
// progress on either side for kStallTimeout is a stall, reported as a failed check.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/deadline.h"
#include "reference_server.h"

namespace sockspec::fuzz {

// Loopback exchanges of a few KiB take microseconds; two seconds without any progress is a server that
// stopped serving (and stays under the 5 s -timeout of the .options files, so the message is ours).
inline constexpr std::chrono::milliseconds kStallTimeout{2000};

// What the client side did in one step of a wait.
enum class StepOutcome { Done, Progressed, Idle };
// Whether a wait lets the server serve before the client's first step (when the client knows it has just
// given the server something to do, its first step would only find nothing).
enum class ServeFirst { No, Yes };

class ServerUnderTest {
 public:
  // Starts the server or exits 3 with the reason (set-up, in LLVMFuzzerInitialize). The environment
  // variable SOCKSPEC_FUZZ_SERVER_FAULT=NAME (a --fault name, docs/server.md) starts it with that deliberate
  // fault instead: the tests use it to show that the checks catch a misbehaving server.
  ServerUnderTest(std::string_view target, server::ServerConfig config);

  const net::Endpoint& endpoint() const { return m_server->local(); }
  const server::ServerCounters& counters() const { return m_server->counters(); }
  std::size_t openConnections() const { return m_server->openConnections(); }
  std::string_view target() const { return m_target; }

  // Serves whatever is ready now, waiting at most `wait`; a failure of epoll itself fails the check.
  void serveReady(std::chrono::milliseconds wait = std::chrono::milliseconds(0));

  // Serves and runs `step` (the client's side) in turns until `step` returns Done. Fails the check,
  // naming `waitingFor`, when neither the server's counters nor `step` moved for kStallTimeout. A step
  // that progressed runs again at once (a few times at most) before the server's turn: a read that took
  // the last reply bytes is followed by Done, not by an empty epoll_wait.
  template <typename Step>
  void serveUntil(Step&& step, std::string_view waitingFor, ServeFirst first = ServeFirst::No);

 private:
  // Sums the counters that move whenever the server does anything, to tell progress from a stall.
  std::uint64_t progressMark() const;
  [[noreturn]] void stalled(std::string_view waitingFor) const;

  std::string m_target;
  std::unique_ptr<server::ReferenceServer> m_server;
};

template <typename Step>
void ServerUnderTest::serveUntil(Step&& step, std::string_view waitingFor, ServeFirst first) {
  Deadline stallAt = Deadline::after(kStallTimeout);
  std::uint64_t mark = progressMark();
  if (first == ServeFirst::Yes) serveReady();
  // On loopback a send is queued at the peer before it returns, so progress usually comes at once; after a
  // few idle turns the server waits a millisecond per turn rather than spinning.
  int idleTurns = 0;
  // Client steps in a row without the server's turn; bounded, so that the server always gets its turn.
  constexpr int kMaxClientTurns = 4;
  int clientTurns = 0;
  while (true) {
    StepOutcome outcome = step();
    if (outcome == StepOutcome::Done) return;
    if (outcome == StepOutcome::Progressed && ++clientTurns < kMaxClientTurns) {
      idleTurns = 0;
      stallAt = Deadline::after(kStallTimeout);
      continue;
    }
    clientTurns = 0;
    serveReady(std::chrono::milliseconds(idleTurns < 8 ? 0 : 1));
    std::uint64_t now = progressMark();
    if (outcome == StepOutcome::Progressed || now != mark) {
      mark = now;
      idleTurns = 0;
      stallAt = Deadline::after(kStallTimeout);
    } else if (++idleTurns > 8 && stallAt.expired()) {
      stalled(waitingFor);
    }
  }
}

}  // namespace sockspec::fuzz
