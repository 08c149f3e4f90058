// Giving up privileges a scenario job no longer needs, as tcpdump -Z does after opening its capture: once
// the job's network namespace is made, its sysctls are set and its pcap handle is open, nothing else it does
// needs a capability, so a bug in it (or in the kernel paths it drives) cannot use one.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "base/expected.h"

namespace sockspec::runner {

// The user a job switches to (run --user NAME), as tcpdump -Z does.
struct RunAs {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

// getpwnam_r(3): fails with "no user 'NAME'" or the errno.
Expected<RunAs, std::string> lookUpUser(const std::string& name);

// In this process, for good: PR_SET_NO_NEW_PRIVS, every capability dropped from the bounding set (up to
// /proc/sys/kernel/cap_last_cap), then, given a user, no supplementary groups, setgid and setuid to it, and
// last capset() with empty effective, permitted and inheritable sets. Descriptors already open (the pcap
// handle, the capture file) keep working. Fails with the call and errno ("capset: EPERM ...") and leaves
// the process as privileged as the step that failed left it.
Expected<bool, std::string> dropPrivileges(const std::optional<RunAs>& user = std::nullopt);

// Whether this process has CAP_NET_RAW in its effective set (what capture needs).
bool hasRawCaptureCapability();

}  // namespace sockspec::runner
