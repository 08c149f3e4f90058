// The memory a server process and everything it forked are using, from /proc: the sum of VmRSS
// (/proc/PID/status) and of Pss (/proc/PID/smaps_rollup, which splits shared pages among their users, so
// that a thousand forked copies of socat are not each charged for the same libc).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/expected.h"

namespace sockspec::bench {

struct ProcessTreeMemory {
  std::size_t processes = 0;  // root plus descendants found
  std::uint64_t rssKib = 0;
  std::uint64_t pssKib = 0;
};

// Memory of `root` and all its descendants. Descendants are found by one scan of /proc/*/stat for parent
// pids: /proc/PID/task/TID/children needs CONFIG_PROC_CHILDREN (absent on some kernels) and proc(5) calls it
// reliable only while the children are stopped. Fails with a message when `root` is gone or unreadable;
// descendants that exit during the scan are skipped.
Expected<ProcessTreeMemory, std::string> measureProcessTree(pid_t root);

}  // namespace sockspec::bench
