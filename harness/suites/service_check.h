// The shared shape of a service conformance check: what it is called, what it rests on, which transports it
// applies to, and the function that runs it against a target within a deadline.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/deadline.h"
#include "net/endpoint.h"
#include "pattern/byte_pattern.h"
#include "report/run_result.h"

namespace sockspec::suites {

// A set of transports, one bit per net::Transport.
using TransportMask = std::uint32_t;

constexpr TransportMask maskOf(net::Transport transport) { return 1u << static_cast<unsigned>(transport); }

inline constexpr TransportMask kTcp = maskOf(net::Transport::Tcp);
inline constexpr TransportMask kUdp = maskOf(net::Transport::Udp);
inline constexpr TransportMask kUnixStream = maskOf(net::Transport::UnixStream);
inline constexpr TransportMask kUnixDgram = maskOf(net::Transport::UnixDgram);
inline constexpr TransportMask kUnixSeqpacket = maskOf(net::Transport::UnixSeqpacket);
// Connection-oriented transports: a client connects, and the server sees an end of stream.
inline constexpr TransportMask kConnected = kTcp | kUnixStream | kUnixSeqpacket;
// Transports that keep message boundaries: one send is one datagram or record.
inline constexpr TransportMask kMessages = kUdp | kUnixDgram | kUnixSeqpacket;
inline constexpr TransportMask kDatagram = kUdp | kUnixDgram;
inline constexpr TransportMask kAllTransports = kConnected | kDatagram;

// "tcp, unix, unix-seqpacket": for messages and the documentation.
std::string describeTransports(TransportMask mask);

// What a check gets: the target and the deadline every wait in it is bounded by.
struct CheckContext {
  net::Endpoint target;
  Deadline deadline;
  std::chrono::milliseconds timeout;  // the deadline's length, for messages ("no reply within 5000 ms")

  // The server profile (suite "server", docs/server-profile.md); unset for the other suites.
  std::string request{};                        // the bytes of one request
  const pattern::BytePattern* reply = nullptr;  // what its reply must match
  // The target's processes (the started command and its descendants); unset or empty when not known.
  std::function<std::vector<pid_t>()> targetProcesses{};
};

// A check's verdict is the report's own Status: one verdict type from the check to every report format.
struct CheckOutcome {
  report::Status status = report::Status::Passed;
  std::string message;  // failure: what was expected and what came; pass: an optional note

  static CheckOutcome pass(std::string note = {}) { return {report::Status::Passed, std::move(note)}; }
  static CheckOutcome fail(std::string why) { return {report::Status::Failed, std::move(why)}; }
  static CheckOutcome skip(std::string why) { return {report::Status::Skipped, std::move(why)}; }
};

using CheckFunction = CheckOutcome (*)(const CheckContext& context);

struct ServiceCheck {
  std::string_view id;      // "echo.one-byte-writes"
  std::string_view title;   // one line for people
  std::string_view source;  // the citation the expectation rests on ("RFC 862")
  TransportMask transports;
  CheckFunction run;
};

}  // namespace sockspec::suites
