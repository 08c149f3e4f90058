// Starting a server program that announces its endpoint: the reference server prints
// "listening <URL>" as its first stdout line once it is bound and accepting.
#pragma once

#include <string>
#include <vector>

#include "base/deadline.h"
#include "base/expected.h"
#include "net/endpoint.h"
#include "process/child_process.h"

namespace sockspec::process {

struct ListeningTarget {
  ChildProcess process;
  net::Endpoint endpoint;
};

// Spawns `argv` and waits until its first stdout line "listening URL". Fails with a message that says what
// came instead (another line, EOF and the exit status, or the deadline) and the child's stderr when captured.
Expected<ListeningTarget, std::string> startListeningTarget(const std::vector<std::string>& argv,
                                                            Deadline deadline,
                                                            const SpawnOptions& options = {});

}  // namespace sockspec::process
