// A stretch of a thread's work that no ordinary task can preempt: the thread runs SCHED_FIFO (priority 1)
// from construction to destruction, then with the policy and priority it had. For a check whose two syscalls
// must follow each other although the first wakes the server: daytime.ignores-input's connect() wakes the
// server's accept(), and a server woken on our CPU would otherwise run first (wakeup preemption), reply and
// close before our send. A SCHED_FIFO thread runs until it blocks or yields; no SCHED_OTHER task takes its
// CPU (sched(7)). Keep the stretch short and without busy loops: for its length that CPU is the thread's.
#pragma once

#include <sched.h>

#include <optional>

#include "base/sys_error.h"

namespace sockspec::suites {

class RealtimeWindow {
 public:
  // Without the privilege (CAP_SYS_NICE, or an RLIMIT_RTPRIO of at least 1: sched(7)) nothing changes, and
  // refused() says why.
  RealtimeWindow();
  ~RealtimeWindow();
  RealtimeWindow(const RealtimeWindow&) = delete;
  RealtimeWindow& operator=(const RealtimeWindow&) = delete;

  // nullopt while the thread runs SCHED_FIFO; else the error of raising it ("sched_setscheduler: EPERM ...").
  const std::optional<SysError>& refused() const { return m_refused; }

 private:
  int m_policy = SCHED_OTHER;
  sched_param m_param{};
  std::optional<SysError> m_refused;
};

}  // namespace sockspec::suites
