// How an exchange ended for sockspec-client: success, or a failure that carries its exit code
// (base/exit_codes.h) and the one-line message main() prints after "sockspec-client: ".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/exit_codes.h"
#include "base/expected.h"
#include "base/sys_error.h"
#include "net/endpoint.h"

namespace sockspec::client {

struct ClientFailure {
  ExitCode exitCode = kExitInternal;
  std::string message;
};

using Outcome = Expected<void, ClientFailure>;

// The server misbehaved: a mismatch, an early close, a reset, a missed deadline (exit 1).
inline Unexpected<ClientFailure> serverFailed(std::string message) {
  return Unexpected{ClientFailure{kExitCheckFailed, std::move(message)}};
}
// The request cannot be carried out as given: command line, input, endpoint (exit 2).
inline Unexpected<ClientFailure> usageFailed(std::string message) {
  return Unexpected{ClientFailure{kExitUsage, std::move(message)}};
}
// sockspec-client itself failed (exit 3).
inline Unexpected<ClientFailure> internalFailed(std::string message) {
  return Unexpected{ClientFailure{kExitInternal, std::move(message)}};
}

// A socket call that failed mid-exchange, sorted by whose fault it is:
//   ECONNREFUSED, ENOENT        nobody listens at the endpoint (a datagram peer's ICMP / unix error): exit 2,
//                               "udp://127.0.0.1:9: recv: ECONNREFUSED (Connection refused)"
//   EMSGSIZE                    the input does not fit one datagram, or (from "recvmsg") a seqpacket
//                               record did not fit the --read-size buffer: exit 2
//   ECONNRESET, EPIPE, ...      the peer reset or closed the connection under us: exit 1
//   anything else               our own failure (EBADF, ENOMEM, ...): exit 3
// `during` says what the client was doing ("echo"), `progress` how far it got ("after 12 of 20 bytes").
Unexpected<ClientFailure> socketFailed(const net::Endpoint& endpoint, const SysError& error,
                                       std::string_view during, std::string_view progress = {});

// "timed out after 10000 ms " + what: the deadline of the whole exchange passed (exit 1).
Unexpected<ClientFailure> timedOut(std::chrono::milliseconds timeout, std::string_view what);

// Prints "sockspec-client: note: MESSAGE" on stderr: something worth knowing that is not a failure.
void printNote(std::string_view message);

}  // namespace sockspec::client
