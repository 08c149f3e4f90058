// What a sockspec command may leave behind once it has ended, looked at from the test that started it: the
// test is the child subreaper of everything below it and lives in its own network namespace, so every
// process, socket and namespace found afterwards is one the command left.
#pragma once

#include <string>
#include <vector>

#include "base/deadline.h"

namespace sockspec::testing {

// Makes this process its descendants' subreaper (prctl(2) PR_SET_CHILD_SUBREAPER: an orphan is reparented
// here, not to init, so it stays visible) and moves it into a private network namespace with lo up. Returns
// an empty string on success, or why it could not (then the caller skips: it needs root).
std::string isolateForLeftoverAudit();

// The processes still alive below this one; orphans that have already died are reaped on the way. Waits
// until there are none or `deadline` passes, and describes those left ("pid 12 (sockspec-server) state S").
std::vector<std::string> liveDescendants(Deadline deadline);

// Sockets in this network namespace that a command could have left: TCP listeners, bound UDP sockets and
// listening unix sockets (/proc/net/{tcp,tcp6,udp,udp6,unix}), one line each with the process holding it.
std::vector<std::string> socketsNow();
// The same, waiting until there are none or `deadline` passes.
std::vector<std::string> openSockets(Deadline deadline);

// The named network namespaces (ip-netns(8): /run/netns).
std::vector<std::string> namedNetworkNamespaces();

// Everything under `folder`, as paths relative to it (folders end in '/'), sorted.
std::vector<std::string> filesUnder(const std::string& folder);

}  // namespace sockspec::testing
