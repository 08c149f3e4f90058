#include "suites/echo_exchange.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "net/readiness.h"
#include "net/socket_ops.h"
#include "suites/queued_bytes.h"
#include "suites/server_hold.h"

namespace sockspec::suites {

namespace {

constexpr std::size_t kReceiveChunk = 256 * 1024;

bool wouldBlock(int code) { return code == EAGAIN || code == EWOULDBLOCK; }

}  // namespace

EchoExchangeResult runEchoExchange(StreamClient& client, const EchoExchangeOptions& options, Deadline deadline) {
  EchoExchangeResult result;
  result.verifier = PayloadVerifier(options.seed);
  std::vector<std::uint8_t> outgoing(std::min<std::uint64_t>(options.sendChunk, std::max<std::uint64_t>(options.sendBytes, 1)));
  // On seqpacket a read shorter than the record would cut it: records are never throttled below their size.
  std::size_t readChunk = client.keepsRecords() ? kReceiveChunk : std::min(options.readChunk, kReceiveChunk);
  std::vector<std::uint8_t> incoming(readChunk);
  bool shut = false;
  bool sawEof = false;
  std::optional<HoldingReadGate> gate;
  if (options.keepServerHolding) gate.emplace(client.keepsRecords(), readChunk, options.holdQuiet);
  bool hungUp = false;
  for (;;) {
    bool sendDone = result.sent >= options.sendBytes || result.sendError.has_value();
    if (sendDone && options.halfCloseAfterSend && !shut && !result.sendError) {
      // A failure here (ENOTCONN: the server already hung up) is noted; the read below tells how it ended.
      if (auto done = client.shutdownWrite(); !done) result.sendError = done.error().describe();
      shut = true;
    }
    bool echoDone = result.verifier.received() >= options.expectBytes;
    if (sendDone && echoDone && (!options.expectEof || sawEof)) {
      result.end = StreamEnd::complete();
      return result;
    }
    if (sawEof) {
      result.end = StreamEnd::eof();
      return result;
    }
    bool mayRead = !gate || gate->mayRead(client.fd(), options.sentBefore + result.sent, result.verifier.received(), hungUp);
    // Holding back: only the server's hang-up is waited for, a tick at a time, and the gate asked again.
    short events = mayRead ? POLLIN : POLLRDHUP;
    if (!sendDone) events |= POLLOUT;
    pollfd entry{client.fd(), events, 0};
    int ready = ::poll(&entry, 1, mayRead ? deadline.pollTimeoutMs() : std::min(deadline.pollTimeoutMs(), 1));
    if (ready > 0) hungUp = hungUp || (entry.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      result.end = StreamEnd::fromError(SysError{errno, "poll"});
      return result;
    }
    if (!mayRead && !deadline.expired() && (ready == 0 || (entry.revents & POLLOUT) == 0)) continue;  // holding back
    if (ready == 0) {
      result.end = StreamEnd::timedOut();
      return result;
    }
    if (mayRead && (entry.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      auto received = net::recvBytes(client.fd(), incoming);
      if (received && *received == 0) {
        sawEof = true;
        continue;
      }
      if (received) {
        result.verifier.feed(std::span<const std::uint8_t>(incoming.data(), *received));
        if (options.pauseAfterRead.count() > 0) {
          // One pause per readChunk bytes: a seqpacket record is read whole, however long, and must not
          // outrun the pace a stream reader keeps (the half-close check relies on that pace).
          auto chunks = (*received + options.readChunk - 1) / std::max<std::size_t>(options.readChunk, 1);
          std::this_thread::sleep_for(options.pauseAfterRead * static_cast<std::int64_t>(std::max<std::size_t>(chunks, 1)));
        }
      } else if (!wouldBlock(received.error().code)) {
        result.end = StreamEnd::fromError(received.error());
        return result;
      }
    }
    if ((entry.revents & POLLOUT) != 0 && !sendDone) {
      auto size = static_cast<std::size_t>(std::min<std::uint64_t>(outgoing.size(), options.sendBytes - result.sent));
      std::span<std::uint8_t> chunk(outgoing.data(), size);
      fillPayload(options.seed, result.sent, chunk);
      auto sent = net::sendBytes(client.fd(), chunk);
      if (sent) {
        result.sent += *sent;
      } else if (!wouldBlock(sent.error().code)) {
        // EPIPE/ECONNRESET: the server is gone; what it echoed so far is still read above.
        result.sendError = fmt::format("{} after {} of {} bytes", sent.error().describe(), result.sent,
                                       options.sendBytes);
        // Stop sending (sendDone above) but keep reading to see how the stream ends.
      }
    }
  }
}

std::uint64_t pushUntilStalled(StreamClient& client, std::uint64_t seed, std::uint64_t limit,
                               std::chrono::milliseconds stallWindow, Deadline deadline) {
  std::vector<std::uint8_t> outgoing(64 * 1024);
  std::uint64_t sent = 0;
  while (sent < limit) {
    auto size = static_cast<std::size_t>(std::min<std::uint64_t>(outgoing.size(), limit - sent));
    std::span<std::uint8_t> chunk(outgoing.data(), size);
    fillPayload(seed, sent, chunk);
    auto done = net::sendBytes(client.fd(), chunk);
    if (done) {
      sent += *done;
      continue;
    }
    if (!wouldBlock(done.error().code)) break;
    auto ready = net::waitWritable(client.fd(), Deadline::after(stallWindow).orEarlier(deadline));
    if (!ready || *ready == net::Readiness::TimedOut) break;
  }
  return sent;
}

namespace {

constexpr std::uint64_t kMinimumHeld = 64 * 1024;

}  // namespace

ServerHoldingPush pushUntilServerHolds(StreamClient& client, std::uint64_t seed, std::uint64_t limit, bool measured,
                                       std::chrono::milliseconds stallWindow, std::chrono::milliseconds patience,
                                       Deadline deadline) {
  ServerHoldingPush push;
  std::vector<std::uint8_t> outgoing(64 * 1024);
  auto lastProgress = std::chrono::steady_clock::now();
  // Bounded: by `limit` bytes, by the deadline, and by `patience` without progress.
  while (push.sent < limit) {
    auto size = static_cast<std::size_t>(std::min<std::uint64_t>(outgoing.size(), limit - push.sent));
    std::span<std::uint8_t> chunk(outgoing.data(), size);
    fillPayload(seed, push.sent, chunk);
    auto done = net::sendBytes(client.fd(), chunk);
    if (done) {
      push.sent += *done;
      lastProgress = std::chrono::steady_clock::now();
      continue;
    }
    if (!wouldBlock(done.error().code)) break;
    auto ready = net::waitWritable(client.fd(), Deadline::after(stallWindow).orEarlier(deadline));
    if (!ready) break;
    if (*ready == net::Readiness::Ready) continue;
    if (deadline.expired()) break;
    if (!measured) {
      // tcp: what the server has read cannot be seen; at least it must have run and echoed something since
      // we connected, or the stall is only its not having run yet.
      auto waiting = bytesWaitingForUs(client.fd());
      if (!waiting || *waiting > 0) break;
      if (std::chrono::steady_clock::now() - lastProgress >= patience) {
        push.outwaited = true;
        break;
      }
      continue;
    }
    auto hold = measureServerHold(client.fd(), client.keepsRecords(), push.sent, 0);
    if (!hold) break;
    push.held = hold->held;
    push.waiting = hold->waiting;
    // Without unix_diag the server's reach is unknown: then at least it must hold what waits for us.
    bool beyondReach = hold->pushable ? holdsBeyondReach(*hold) : hold->held >= hold->waiting;
    if (hold->held >= kMinimumHeld && beyondReach) break;
    if (std::chrono::steady_clock::now() - lastProgress >= patience) {
      push.outwaited = true;
      break;
    }
  }
  return push;
}

std::optional<std::string> describeEchoProblem(const EchoExchangeResult& result, std::uint64_t expected,
                                               std::chrono::milliseconds timeout) {
  const auto& verifier = result.verifier;
  if (verifier.difference()) return fmt::format("the echo differs at {}", *verifier.difference());
  auto got = verifier.received();
  if (result.end.kind == StreamEnd::Kind::Complete && got == expected) return std::nullopt;
  if (got > expected) return fmt::format("expected {} bytes back, got {} (more than was sent)", expected, got);
  std::string problem;
  if (result.end.kind == StreamEnd::Kind::Complete) {
    problem = fmt::format("expected {} bytes back, got {}", expected, got);
  } else if (got == expected && result.end.kind == StreamEnd::Kind::Reset) {
    problem = fmt::format("all {} bytes came back, then the connection was reset ({}) instead of an orderly EOF",
                          got, result.end.error.describe());
  } else if (got == expected && result.end.kind == StreamEnd::Kind::TimedOut) {
    problem = fmt::format("all {} bytes came back, but no EOF within {} ms", got, timeout.count());
  } else {
    problem = describeShortfall("bytes back", static_cast<std::size_t>(expected), static_cast<std::size_t>(got),
                                result.end, timeout);
  }
  if (result.sendError) problem += fmt::format(" ({})", *result.sendError);
  return problem;
}

}  // namespace sockspec::suites
