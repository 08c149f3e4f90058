// Opening many load connections at once: connects are pipelined with a bounded number in flight, and each
// connection can be proven served by one small echo round trip before it counts as open (a SYN-ACK alone
// only says the kernel queued it, not that the server accepted it).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/deadline.h"
#include "net/endpoint.h"
#include "net/unique_fd.h"

namespace sockspec::bench {

// Bytes of the probe round trip: the first bytes of the connection's StreamPattern, so a mode continues the
// pattern at OpenedConnections::streamOffset.
inline constexpr std::size_t kProbeBytes = 16;

struct OpenOptions {
  std::size_t count = 1;
  std::size_t maxInFlight = 256;  // connects and probes outstanding at once
  bool probe = true;              // one echo round trip per connection before it counts as open
  std::chrono::milliseconds perConnectionTimeout{10000};  // connect plus probe
  // After the first failure, let the connections already in flight finish (each within its timeout) so
  // that the count opened is not cut short by the ones that happened to be pending. Starts no new ones.
  bool drainAfterFailure = false;
};

// Where opening failed: the stage says whose fault it likely is.
enum class OpenStage {
  Connect,  // socket(2)/connect(2): the endpoint is unreachable or a local limit was hit
  Probe,    // connected, but the echo of the probe did not come back right
  Overall,  // the deadline for the whole opening passed, or the load generator's own calls failed
};

struct OpenFailure {
  OpenStage stage = OpenStage::Connect;
  std::size_t index = 0;  // 0-based number of the connection that failed
  std::string reason;     // "connect: ECONNREFUSED (Connection refused)"
  std::string cause;      // one word for result lines: the errno name, or EOF, MISMATCH, DEADLINE
};

struct OpenConnection {
  net::UniqueFd fd;   // non-blocking; TCP_NODELAY for TCP
  std::size_t index;  // its number among those started: the StreamPattern it uses
};

struct OpenedConnections {
  std::vector<OpenConnection> connections;  // in the order they finished opening
  std::optional<OpenFailure> failure;       // set when opening stopped before `count`
  std::uint64_t streamOffset = 0;           // where each connection's StreamPattern continues
  double seconds = 0;                       // time taken
};

// Opens up to options.count stream connections to `endpoint`, stopping at the first failure (which is then
// described in the result, with the connections opened so far) or when `deadline` passes. Connections still
// in flight at the end are closed: only those proven open are returned.
OpenedConnections openEchoConnections(const net::Endpoint& endpoint, const OpenOptions& options,
                                      Deadline deadline);

}  // namespace sockspec::bench
