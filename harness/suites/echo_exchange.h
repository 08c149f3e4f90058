// Full-duplex echo traffic for the stream checks: send a payload while reading its echo back (a client
// that only writes would deadlock against a correct server once both socket buffers are full, send(2)),
// and verify the echo byte by byte as it arrives.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "base/deadline.h"
#include "suites/payloads.h"
#include "suites/stream_client.h"

namespace sockspec::suites {

struct EchoExchangeOptions {
  std::uint64_t seed = 0;           // which payload stream (payloads.h)
  std::uint64_t sendBytes = 0;      // how many of its bytes to send
  std::size_t sendChunk = 64 * 1024;  // bytes per send(2): one record each on unix-seqpacket
  bool halfCloseAfterSend = false;  // shutdown(SHUT_WR) once everything is sent
  std::uint64_t expectBytes = 0;    // how much echo to wait for
  bool expectEof = false;           // then wait for EOF as well
  // Reading slower than the server can echo: at most `readChunk` bytes per recv, then a pause. Keeps the
  // server's own send buffer full, so that what it still owes sits in its queue.
  std::size_t readChunk = 256 * 1024;
  std::chrono::microseconds pauseAfterRead{0};
  // AF_UNIX only: read only while the server holds more of ours than the read could let it send, so that it
  // still owes us data when it reads our EOF (server_hold.h). Holds back otherwise, until the server hangs up
  // or nothing moved for `holdQuiet`.
  bool keepServerHolding = false;
  std::uint64_t sentBefore = 0;  // the bytes sent before the exchange began (pushUntilServerHolds)
  std::chrono::milliseconds holdQuiet{500};
};

struct EchoExchangeResult {
  std::uint64_t sent = 0;
  StreamEnd end;                  // Complete when all expected bytes (and EOF, if asked) arrived
  PayloadVerifier verifier{0};
  std::optional<std::string> sendError;  // a send that failed, or could not go on within the deadline
};

// Sends and receives at once until the expected echo (and EOF) arrived, the stream ended, or the deadline.
EchoExchangeResult runEchoExchange(StreamClient& client, const EchoExchangeOptions& options, Deadline deadline);

// Sends the payload without reading until the pipe is full, that is until no send makes progress for
// `stallWindow` (flow control: the server stopped reading because we do not read its echo), or `limit`
// bytes went. Returns how many bytes were sent; a send error ends it early (the caller will see the
// stream's end when it reads).
std::uint64_t pushUntilStalled(StreamClient& client, std::uint64_t seed, std::uint64_t limit,
                               std::chrono::milliseconds stallWindow, Deadline deadline);

// The end of a push that must leave the server holding data of its own (pushUntilServerHolds).
struct ServerHoldingPush {
  std::uint64_t sent = 0;
  std::optional<std::uint64_t> held;  // what the server was seen to hold at the end; nullopt where unseen (tcp)
  std::uint64_t waiting = 0;          // the echo waiting for us in the kernel then (AF_UNIX)
  bool outwaited = false;             // no send progressed for the whole patience, the server holding less
};

// Sends the payload without reading, as pushUntilStalled does, but on AF_UNIX (`measured`) a stall counts
// only once the server is seen to hold at least 64 KiB of ours that it read and did not give back, and more
// than it could still send into our receive queue (server_hold.h): then, were we to send EOF and read nothing,
// it would still hold data when it read the EOF. A server that is merely not running looks stalled too, for
// any window: then it can still send. Without that it waits on until no send progressed for `patience` (a
// server that buffers nothing), the deadline, or `limit`. Over tcp what the server has read cannot be seen,
// and the stall window alone decides.
ServerHoldingPush pushUntilServerHolds(StreamClient& client, std::uint64_t seed, std::uint64_t limit, bool measured,
                                       std::chrono::milliseconds stallWindow, std::chrono::milliseconds patience,
                                       Deadline deadline);

// The failure message for an exchange that did not come back whole, or nullopt when it did.
std::optional<std::string> describeEchoProblem(const EchoExchangeResult& result, std::uint64_t expected,
                                               std::chrono::milliseconds timeout);

}  // namespace sockspec::suites
