// A private network namespace for the calling process (unshare(2) CLONE_NEWNET): its own loopback, its own
// ports, its own TIME_WAIT table and /proc/net counters, and per-namespace sysctls such as
// net.ipv4.tcp_abort_on_overflow and net.core.somaxconn. Needs CAP_SYS_ADMIN.
#pragma once

#include <string>
#include <vector>

#include "base/expected.h"

namespace sockspec::runner {

// Moves the calling process into a new network namespace and brings its loopback up. A new namespace's
// lo is down, with neither 127.0.0.1 nor ::1 reachable until it is up (netdevice(7) SIOCSIFFLAGS).
Expected<void, std::string> enterPrivateNetworkNamespace();

// Writes "net.ipv4.tcp_abort_on_overflow=1" style settings under /proc/sys. Fails naming the setting.
Expected<void, std::string> applySysctls(const std::vector<std::string>& settings);

}  // namespace sockspec::runner
