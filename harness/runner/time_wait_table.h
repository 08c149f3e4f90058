// Whether the kernel holds a TIME_WAIT entry for a local TCP address: read from /proc/net/tcp and
// /proc/net/tcp6, which list TIME_WAIT minisockets with state 06 (include/net/tcp_states.h). These files
// are per network namespace, so inside a scenario's namespace only its own connections appear.
#pragma once

#include <string>

#include "base/expected.h"
#include "net/sock_addr.h"

namespace sockspec::runner {

// True when some TIME_WAIT entry has `local` as its local address and port. Fails when /proc cannot be read.
Expected<bool, std::string> hasTimeWaitEntry(const net::SockAddr& local);

}  // namespace sockspec::runner
