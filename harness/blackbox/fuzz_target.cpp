#include "blackbox/fuzz_target.h"

#include <fmt/format.h>

namespace sockspec::blackbox {

process::TargetSpec fuzzTargetSpec(const std::string& target, const std::string& command, int readyTimeoutMs,
                                   int hangTimeoutMs) {
  process::TargetSpec spec;
  spec.command = command;
  spec.url = target.empty() && !command.empty() ? std::string(process::kDefaultTargetUrl) : target;
  spec.readyTimeout = std::chrono::milliseconds(readyTimeoutMs);
  spec.probeTimeout = std::chrono::milliseconds(hangTimeoutMs);
  spec.stopGrace = std::chrono::milliseconds(500);
  return spec;
}

Expected<process::TargetSession, std::string> openFuzzTarget(const process::TargetSpec& spec,
                                                            const FuzzProtocol& protocol) {
  auto session = process::TargetSession::open(spec);
  if (!session) return session;
  if (!protocol.any() && !net::isConnectionOriented(session->endpoint().transport)) {
    std::string where = spec.command.empty() ? "--target " + spec.url : session->endpoint().toString();
    return Unexpected{fmt::format("{}: --service {} is fuzzed over connections (stream or seqpacket); --service any fuzzes datagram servers", where, fuzzProtocolName(protocol.kind))};
  }
  return session;
}

}  // namespace sockspec::blackbox
