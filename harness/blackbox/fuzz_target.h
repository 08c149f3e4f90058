// The server under black-box test is a process::TargetSession (started from --target-cmd, or reached at a
// --target URL); this adds what fuzzing asks of it: the options `fuzz` and `replay` share, and that the
// server speaks over a stream or seqpacket connection (each input goes over a fresh one).
#pragma once

#include <string>

#include "base/expected.h"
#include "blackbox/fuzz_protocol.h"
#include "process/target_session.h"

namespace sockspec::blackbox {

// What `sockspec fuzz` and `sockspec replay` both take from their --target, --target-cmd, --ready-timeout
// and --hang-timeout: a command without a URL serves at the default tcp://127.0.0.1:{port}; a probe
// connection may take the hang timeout; a crashed server is given half a second to stop before SIGKILL.
process::TargetSpec fuzzTargetSpec(const std::string& target, const std::string& command, int readyTimeoutMs,
                                   int hangTimeoutMs);

// Opens the session (process::TargetSession::open); a datagram endpoint is refused, naming it, unless the
// protocol is any (echo and framed are fuzzed over connections).
Expected<process::TargetSession, std::string> openFuzzTarget(const process::TargetSpec& spec,
                                                            const FuzzProtocol& protocol);

}  // namespace sockspec::blackbox
