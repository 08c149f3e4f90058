// What the tests need to know about processes beyond ChildProcess: a process's state from /proc, the
// test's own children (nothing may be left running), and freezing a server so that a test decides exactly
// what is queued on its sockets before it runs again.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <vector>

#include "base/deadline.h"

namespace sockspec::testing {

// The state letter of /proc/PID/stat ('R', 'S', 'T', 'Z', ...), or '\0' when there is no such process.
char processState(pid_t pid);

// How many descriptors `pid` has open (the entries of /proc/PID/fd); 0 when there is no such process.
std::size_t openDescriptorCount(pid_t pid);

// The processes whose parent is this test process, zombies included (a zombie is a child not reaped).
std::vector<pid_t> childrenOfThisProcess();

// SIGSTOP for `pid`'s process group until destroyed (then SIGCONT). The constructor returns only once the
// process is really stopped (state 'T'), so everything done afterwards happens while it cannot run: data,
// FINs and connections the test makes are all queued when it wakes, and it sees them in one epoll_wait.
// FAILs the test if the process is not stopped within the deadline.
class FrozenProcess {
 public:
  FrozenProcess(pid_t pid, Deadline deadline);
  ~FrozenProcess();
  FrozenProcess(const FrozenProcess&) = delete;
  FrozenProcess& operator=(const FrozenProcess&) = delete;

  // SIGCONT now (the destructor then does nothing).
  void thaw();

 private:
  pid_t m_pid;
  bool m_frozen = true;
};

}  // namespace sockspec::testing
