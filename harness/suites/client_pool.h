// Many clients at once on one thread: every client connects before any is served, then all send and read
// interleaved through one poll(2) loop, so the server must really serve them concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/deadline.h"
#include "net/endpoint.h"
#include "suites/stream_client.h"

namespace sockspec::suites {

struct PoolRequest {
  std::vector<std::uint8_t> request;  // sent once connected (one record on unix-seqpacket); may be empty
  bool halfCloseAfterSend = false;    // then shutdown(SHUT_WR)
  std::size_t expectBytes = 0;        // read until this many bytes arrived...
  bool readToEof = false;             // ...or, when set, until EOF (expectBytes is then an upper limit)
};

struct PoolResult {
  std::vector<std::uint8_t> received;
  StreamEnd end;               // Complete (or Eof when readToEof) is the good ending
  std::string connectError;    // set when the client never got connected
  std::string sendError;       // set when its request could not be sent
};

// Applies `problemOf` to every client that connected; nullopt when none has a problem, else
// "3 of 128 clients failed; client 17: <its problem>" (a connect error is a problem of its own).
using PoolProblem = std::function<std::optional<std::string>(std::size_t index, const PoolResult& result)>;
std::optional<std::string> summarizePool(const std::vector<PoolResult>& results, const PoolProblem& problemOf);

// Connects one client per request to `target` and runs them all to completion or the deadline.
std::vector<PoolResult> runClientPool(const net::Endpoint& target, std::span<const PoolRequest> requests,
                                      Deadline deadline);

}  // namespace sockspec::suites
