// Ending a reference server the documented way in a test: SIGTERM, then it must exit 0 within a deadline.
#pragma once

#include <chrono>

#include "process/listening_target.h"

namespace sockspec::testing {

// Sends SIGTERM and waits up to `limit` for the exit; REQUIREs "exit 0" (docs/server.md), showing the
// server's stderr otherwise. The process is reaped either way (ChildProcess kills it if it hangs).
void stopServerOrFail(process::ListeningTarget& server, std::chrono::milliseconds limit = std::chrono::seconds(5));

}  // namespace sockspec::testing
