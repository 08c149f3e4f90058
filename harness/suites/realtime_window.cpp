#include "suites/realtime_window.h"

#include <cerrno>

namespace sockspec::suites {

RealtimeWindow::RealtimeWindow() {
  // pid 0: the calling thread (on Linux the policy is per thread, sched_setscheduler(2)).
  m_policy = ::sched_getscheduler(0);
  if (m_policy == -1) {
    m_refused = SysError{errno, "sched_getscheduler"};
    return;
  }
  if (::sched_getparam(0, &m_param) != 0) {
    m_refused = SysError{errno, "sched_getparam"};
    return;
  }
  sched_param realtime{};
  realtime.sched_priority = 1;
  if (::sched_setscheduler(0, SCHED_FIFO, &realtime) != 0) m_refused = SysError{errno, "sched_setscheduler"};
}

RealtimeWindow::~RealtimeWindow() {
  if (m_refused) return;
  // Going back to the policy we had needs no privilege (sched(7): lowering one's own policy is allowed), so
  // this cannot be refused; and a destructor has no one to tell.
  static_cast<void>(::sched_setscheduler(0, m_policy, &m_param));
}

}  // namespace sockspec::suites
