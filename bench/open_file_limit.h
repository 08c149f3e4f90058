// Raising RLIMIT_NOFILE: holding 10,000 connections needs more descriptors than the usual soft limit of 1024.
#pragma once

#include <sys/resource.h>

#include "base/sys_error.h"

namespace sockspec::bench {

struct OpenFileLimit {
  rlim_t soft = 0;
  rlim_t hard = 0;
};

// Raises the soft limit to the hard limit; when `wanted` is above the hard limit, first tries to raise the
// hard limit to `wanted` (capped at /proc/sys/fs/nr_open; needs CAP_SYS_RESOURCE, and failing that is not an
// error). Returns the limits now in force, or the errno of getrlimit/setrlimit.
Result<OpenFileLimit> raiseOpenFileLimit(rlim_t wanted);

}  // namespace sockspec::bench
