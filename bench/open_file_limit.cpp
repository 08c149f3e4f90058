#include "open_file_limit.h"

#include <algorithm>
#include <fstream>

namespace sockspec::bench {

namespace {
// The kernel's ceiling for RLIMIT_NOFILE (proc(5), /proc/sys/fs/nr_open); 1048576 when unreadable.
rlim_t kernelOpenFileCeiling() {
  std::ifstream in("/proc/sys/fs/nr_open");
  unsigned long long value = 0;
  if (in >> value && value > 0) return static_cast<rlim_t>(value);
  return 1048576;
}
}  // namespace

Result<OpenFileLimit> raiseOpenFileLimit(rlim_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) < 0) return lastError("getrlimit");
  if (wanted > limit.rlim_max && limit.rlim_max != RLIM_INFINITY) {
    rlimit raised{};
    raised.rlim_max = std::min(wanted, kernelOpenFileCeiling());
    raised.rlim_cur = raised.rlim_max;
    // EPERM without CAP_SYS_RESOURCE: keep the old hard limit and say so through the returned values.
    if (raised.rlim_max > limit.rlim_max && ::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur != limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) < 0) return lastError("setrlimit");
  }
  return OpenFileLimit{limit.rlim_cur, limit.rlim_max};
}

}  // namespace sockspec::bench
