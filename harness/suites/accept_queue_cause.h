// Naming the cause when a burst of clients went unserved: the listener's real backlog (sock_diag) and the
// accept-queue overflows the kernel counted meanwhile (TcpExt ListenOverflows, ListenDrops). Used by the
// server profile's burst check and by echo.concurrent-clients.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/expected.h"
#include "net/endpoint.h"
#include "suites/tcp_counters.h"

namespace sockspec::suites {

// The counters now, to pass to describeAcceptQueueCause afterwards (an error when they cannot be read).
Expected<TcpExtCounters, std::string> acceptQueueCountersNow();

// "the listener's backlog is 5 (it holds 6 connections not yet accepted) and the kernel counted 460
// accept-queue overflows (TcpExt ListenOverflows +460, ListenDrops +460, namespace-wide) during the
// check: SYNs beyond the queue were dropped and those clients waited on SYN retransmission"; nullopt when
// the kernel counted no overflow, the counters could not be read, or the target is not tcp.
std::optional<std::string> describeAcceptQueueCause(const net::Endpoint& target,
                                                    const Expected<TcpExtCounters, std::string>& before);

// The largest backlog among the target's listeners visible in this namespace; nullopt when none is.
std::optional<std::uint32_t> listenerBacklog(const net::Endpoint& target);

}  // namespace sockspec::suites
