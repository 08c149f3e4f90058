// The exit codes of every sockspec program, fixed once (docs/exit-codes.md) and pinned by tests.
#pragma once

namespace sockspec {

enum ExitCode : int {
  kExitOk = 0,           // everything passed / the program did its job
  kExitCheckFailed = 1,  // a check failed, a fuzzer found something, the peer misbehaved mid-exchange
  kExitUsage = 2,        // bad command line, malformed input, unreachable or unusable endpoint
  kExitInternal = 3,     // sockspec itself failed (a bug or an exhausted resource)
  kExitInterrupted = 130,  // stopped by SIGINT (128 + SIGINT, as shells report it)
  kExitTerminated = 143,   // stopped by SIGTERM (128 + SIGTERM)
};

}  // namespace sockspec
