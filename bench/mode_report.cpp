#include "mode_report.h"

#include <fmt/format.h>

#include <cstdio>

#include "base/errno_names.h"

namespace sockspec::bench {

int reportFailure(std::string_view mode, ExitCode code, std::string_view cause, std::string_view message,
                  std::string_view extraFields) {
  // stdout is a pipe in the bench script: keep the result line after whatever the mode printed before.
  (void)std::fflush(stdout);
  fmt::print(stderr, "sockspec-echo-load: {}: {}\n", mode, message);
  fmt::print("result mode={} status=failed cause={}{}{}\n", mode, cause, extraFields.empty() ? "" : " ",
             extraFields);
  (void)std::fflush(stdout);
  return code;
}

int reportCallFailure(std::string_view mode, const SysError& error) {
  return reportFailure(mode, kExitInternal, errnoName(error.code), error.describe());
}

int reportOpenFailure(std::string_view mode, const net::Endpoint& endpoint, std::size_t requested,
                      const OpenedConnections& opened, std::string_view extraFields) {
  const OpenFailure& failure = *opened.failure;
  bool unreachable = opened.connections.empty() && failure.stage == OpenStage::Connect;
  return reportFailure(mode, unreachable ? kExitUsage : kExitCheckFailed, failure.cause,
                       fmt::format("{}: connection {} of {} ({} open): {}", endpoint.toString(),
                                   failure.index, requested, opened.connections.size(), failure.reason),
                       extraFields);
}

}  // namespace sockspec::bench
