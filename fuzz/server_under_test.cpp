#include "server_under_test.h"

#include <cstdlib>

#include <fmt/format.h>

#include "check_failure.h"

namespace sockspec::fuzz {

ServerUnderTest::ServerUnderTest(std::string_view target, server::ServerConfig config) : m_target(target) {
  if (const char* name = std::getenv("SOCKSPEC_FUZZ_SERVER_FAULT"); name != nullptr && *name != '\0') {
    auto fault = server::faultFromName(name);
    if (!fault) setupFailed(target, fmt::format("SOCKSPEC_FUZZ_SERVER_FAULT={}: no such fault (docs/server.md)", name));
    config.fault = *fault;
  }
  auto started = server::ReferenceServer::start(config);
  if (!started) setupFailed(target, fmt::format("cannot start the reference server: {}", started.error()));
  m_server = std::move(*started);
}

void ServerUnderTest::serveReady(std::chrono::milliseconds wait) {
  if (auto served = m_server->runOnce(wait); !served) {
    checkFailed(m_target, fmt::format("{} ({} service): runOnce: {}", endpoint().toString(),
                                      m_target, served.error().describe()));
  }
}

std::uint64_t ServerUnderTest::progressMark() const {
  const auto& c = m_server->counters();
  return c.accepted + c.closed + c.bytesIn + c.bytesOut + c.datagramsIn + c.datagramsOut + c.repliesDropped;
}

void ServerUnderTest::stalled(std::string_view waitingFor) const {
  const auto& c = m_server->counters();
  checkFailed(m_target,
              fmt::format("stall: no progress for {} ms while waiting for {} (server {}: {} open, accepted {}, "
                          "closed {}, bytes in {} out {}, datagrams in {} out {})",
                          kStallTimeout.count(), waitingFor, endpoint().toString(), openConnections(), c.accepted,
                          c.closed, c.bytesIn, c.bytesOut, c.datagramsIn, c.datagramsOut));
}

}  // namespace sockspec::fuzz
