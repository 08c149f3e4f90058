// Which service targets can be captured on `lo`, and the filter that keeps only their packets: public, so
// that the run decides once (and says why not) before the checks start (suites/check_capture.h captures).
#pragma once

#include <optional>
#include <string>

#include "net/endpoint.h"

namespace sockspec::suites {

// Why checks against `target` are not captured on lo, whatever the privileges: "unix:///tmp/s.sock is
// AF_UNIX: no packets to capture", "10.0.0.7 is not a loopback address (...)"; nullopt when they can be.
std::optional<std::string> whyNotCapturedOnLoopback(const net::Endpoint& target);

// "tcp and host 127.0.0.1 and port 7": the pcap-filter(7) expression for a target's packets.
std::string captureFilterFor(const net::Endpoint& target);

}  // namespace sockspec::suites
