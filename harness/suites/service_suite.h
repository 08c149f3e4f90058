// Service conformance suites of target mode: `sockspec run --suite NAME --target URL` checks somebody else's
// echo (RFC 862), discard (RFC 863), chargen (RFC 864), daytime (RFC 867) or framed server for the mistakes
// real servers make. Each suite is a table of checks (docs/service-suites.md); every check is bounded by a
// deadline, so a stalled server is a failed check, never a stuck run.
#pragma once

#include <chrono>
#include <csignal>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/endpoint.h"
#include "process/target_session.h"
#include "report/run_result.h"
#include "suites/service_check.h"

namespace sockspec::suites {

struct SuiteOptions {
  // The deadline of each check: a server that has not answered by then fails that check.
  std::chrono::milliseconds checkTimeout{5000};
  // Run only the checks with these ids (all when empty); the order stays the suite's.
  std::vector<std::string> only;
  // The server under test when the run has a session for it (--target-cmd; --target too): each check
  // asks it for the endpoint (a fresh server per check unless --keep-target), and after a failed check
  // what became of the server (dead, not answering: CheckResult::target). Without one, `target` is used.
  process::TargetSession* session = nullptr;
  // SIGINT/SIGTERM: the running check is stopped at once and the rest are skipped, "not run: interrupted".
  const volatile std::sig_atomic_t* stopRequested = nullptr;

  // Captures (docs/service-suites.md, "On the wire"): when set, each check is captured on lo into this
  // directory (needs CAP_NET_RAW and a loopback target: the caller decides), and a failed check says what
  // the server did on the wire. With keepCaptures (run --capture DIR) every pcap stays and the report names
  // it; otherwise each is removed after its check.
  std::string captureDirectory;
  bool keepCaptures = false;

  // The server profile (suite "server", docs/server-profile.md): one request and what its reply must match.
  std::string request;
  std::optional<pattern::BytePattern> reply;
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
