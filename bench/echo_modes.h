// The three measurements of sockspec-echo-load against an echo server. Each prints a human summary and one
// "result mode=..." line of key=value pairs on stdout, errors on stderr, and returns an ExitCode:
// kExitOk measured, kExitCheckFailed the server misbehaved or fell short (wrong echo, closed, too slow),
// kExitUsage the endpoint was unusable (no connection at all), kExitInternal the load generator itself
// failed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "net/endpoint.h"

namespace sockspec::bench {

struct CommonOptions {
  net::Endpoint endpoint;
  double deadlineSeconds = 0;                       // the whole mode, opening included; 0: the mode's default
  std::size_t inFlight = 256;                       // connects outstanding at once while opening
  std::chrono::milliseconds connectTimeout{10000};  // per connection: connect plus the probe echo
};

// Ping-pong: each connection sends a message, waits for its whole echo, sends the next.
struct RateOptions {
  CommonOptions common;
  std::size_t connections = 64;
  std::size_t messageSize = 32;
  double seconds = 3;          // measured window
  double warmupSeconds = 0.5;  // ping-pong before the window opens, not counted
};

// Streaming: each connection writes its share of `bytes` while reading the echo back.
struct BulkOptions {
  CommonOptions common;
  std::size_t connections = 1;
  std::uint64_t bytes = 256ULL << 20;
};

// Holding: open `connections`, each proven by one echo, and charge the growth of `pid`'s memory (with its
// descendants) to them.
struct HoldOptions {
  CommonOptions common;
  std::size_t connections = 10000;
  pid_t pid = 0;
  std::chrono::milliseconds settle{300};  // pause between the last connection opening and the measurement
};

int runRate(const RateOptions& options);
int runBulk(const BulkOptions& options);
int runHold(const HoldOptions& options);

}  // namespace sockspec::bench
