// Service conformance suites of target mode: `sockspec run --suite NAME --target URL` checks somebody else's
// echo (RFC 862), discard (RFC 863), chargen (RFC 864), daytime (RFC 867) or framed server for the mistakes
// real servers make. Each suite is a table of checks (docs/service-suites.md); every check is bounded by a
// deadline, so a stalled server is a failed check, never a stuck run.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/endpoint.h"
#include "report/run_result.h"
#include "suites/service_check.h"

namespace sockspec::suites {

struct SuiteOptions {
  // The deadline of each check: a server that has not answered by then fails that check.
  std::chrono::milliseconds checkTimeout{5000};
  // Run only the checks with these ids (all when empty); the order stays the suite's.
  std::vector<std::string> only;
  // When the runner started the target itself: says whether it has exited and how ("exit 1",
  // "killed by SIGSEGV"), nullopt while it runs. After it died, the remaining checks fail with that.
  std::function<std::optional<std::string>()> targetExit;

  // The server profile (suite "server", docs/server-profile.md): one request and what its reply must match.
  std::string request;
  std::optional<pattern::BytePattern> reply;
  // The target's processes when sockspec started it (its pid and descendants); the hygiene checks are
  // skipped without them.
  std::function<std::vector<pid_t>()> targetProcesses;
};

struct ServiceSuite {
  std::string_view name;   // "echo"
  std::string_view title;  // "RFC 862 echo"
  std::span<const ServiceCheck> checks;
};

// "echo", "discard", "chargen", "daytime", "framed".
std::span<const std::string_view> serviceSuiteNames();
// The suite of that name; nullptr when there is none.
const ServiceSuite* findServiceSuite(std::string_view name);
// The transports at least one of the suite's checks applies to (0 for an unknown suite).
TransportMask suiteTransports(const ServiceSuite& suite);

// Runs every check of `suite` that applies to the target's transport, in the suite's order, and returns
// one CheckResult per check (family: the transport's scheme, "tcp6"/"udp6" for IPv6). An unknown suite or
// a transport the suite does not apply to gives a single failed result saying so; never throws.
report::RunResult runServiceSuite(std::string_view suite, const net::Endpoint& target,
                                  const SuiteOptions& options = {});

}  // namespace sockspec::suites
