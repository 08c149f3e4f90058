#include "suites/accept_queue_cause.h"

#include <fmt/format.h>

#include "suites/server_exchange.h"

namespace sockspec::suites {

Expected<TcpExtCounters, std::string> acceptQueueCountersNow() {
  return readTcpExtCounters();
}

std::optional<std::uint32_t> listenerBacklog(const net::Endpoint& target) {
  if (target.transport != net::Transport::Tcp) return std::nullopt;
  std::optional<std::uint32_t> backlog;
  for (const auto& listener : server::findListeners(target)) {
    backlog = std::max(backlog.value_or(0), listener.sendQueue);
  }
  return backlog;
}

std::optional<std::string> describeAcceptQueueCause(const net::Endpoint& target,
                                                    const Expected<TcpExtCounters, std::string>& before) {
  if (target.transport != net::Transport::Tcp || !before) return std::nullopt;
  auto after = readTcpExtCounters();
  if (!after) return std::nullopt;
  std::uint64_t overflows = counterIncrease(*before, *after, "ListenOverflows");
  std::uint64_t drops = counterIncrease(*before, *after, "ListenDrops");
  if (overflows == 0) return std::nullopt;
  std::string counted = fmt::format(
      "the kernel counted {} accept-queue overflows (TcpExt ListenOverflows +{}, "
      "ListenDrops +{}, namespace-wide) during the check",
      overflows, overflows, drops);
  std::string tail =
      ": SYNs beyond the queue were dropped and those clients waited on SYN retransmission (1 s, 3 s, "
      "7 s...; listen(2))";
  if (auto backlog = listenerBacklog(target)) {
    return fmt::format("the listener's backlog is {} (it holds {} connections not yet accepted) and {}{}",
                       *backlog, *backlog + 1, counted, tail);
  }
  return counted + tail;
}

}  // namespace sockspec::suites
