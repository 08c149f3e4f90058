// How the load modes report: failures to stderr with the mode's name, and the one "result" line the bench
// script reads, also on failure (status=failed cause=NAME) so that partial figures are not lost.
#pragma once

#include <string>
#include <string_view>

#include "base/exit_codes.h"
#include "base/sys_error.h"
#include "connection_opener.h"
#include "net/endpoint.h"

namespace sockspec::bench {

// Prints "sockspec-echo-load: <mode>: <message>" to stderr and "result mode=<mode> status=failed
// cause=<cause> <extra>" to stdout; returns `code` for the caller to return from the mode.
int reportFailure(std::string_view mode, ExitCode code, std::string_view cause, std::string_view message,
                  std::string_view extraFields = {});

// reportFailure for one of the load generator's own calls that failed (epoll, a syscall): kExitInternal,
// the errno name as the cause, the error described as the message.
int reportCallFailure(std::string_view mode, const SysError& error);

// reportFailure for a failed openEchoConnections(): kExitUsage when not one connection could even be
// made (no server there), kExitCheckFailed otherwise (the server stopped accepting or echoing).
int reportOpenFailure(std::string_view mode, const net::Endpoint& endpoint, std::size_t requested,
                      const OpenedConnections& opened, std::string_view extraFields = {});

}  // namespace sockspec::bench
