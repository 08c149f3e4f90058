// Echo over connected transports (RFC 862 "TCP Based Echo Service"): whatever arrives is sent back, however
// the client split or joined its writes, until the client closes.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "suites/accept_queue_cause.h"
#include "suites/client_pool.h"
#include "suites/datagram_client.h"
#include "suites/echo_checks.h"
#include "suites/echo_exchange.h"
#include "suites/payloads.h"
#include "suites/stream_client.h"

namespace sockspec::suites::echo {

namespace {

// Sends `request` in one write and reads the same number of bytes back; the problem if they differ.
std::optional<std::string> roundTrip(StreamClient& client, const std::vector<std::uint8_t>& request,
                                     const CheckContext& context) {
  if (auto sent = client.sendAll(request, context.deadline, context.timeout); !sent) {
    return fmt::format("send: {}", sent.error());
  }
  std::vector<std::uint8_t> reply;
  StreamEnd end = client.readUntilSize(reply, request.size(), context.deadline);
  if (end.kind != StreamEnd::Kind::Complete) {
    if (auto wrong = firstDifference(request, reply)) return fmt::format("the echo differs at {}", *wrong);
    return describeShortfall("bytes back", request.size(), reply.size(), end, context.timeout);
  }
  if (auto wrong = firstDifference(request, reply)) return fmt::format("the echo differs at {}", *wrong);
  return std::nullopt;
}

CheckOutcome outcomeOf(const std::optional<std::string>& problem) {
  return problem ? CheckOutcome::fail(*problem) : CheckOutcome::pass();
}

}  // namespace

CheckOutcome oneByteWrites(const CheckContext& context) {
  constexpr std::size_t kBytes = 48;
  // TCP_NODELAY and waiting for each byte's echo before the next make every byte its own segment (or
  // record): a server that takes one recv for the whole request sees only the first.
  auto client = StreamClient::connect(context.target, context.deadline, ConnectOptions{0, true});
  if (!client) return CheckOutcome::fail(client.error());
  const auto request = makePayload(1, kBytes);
  std::vector<std::uint8_t> reply;
  for (std::size_t i = 0; i < kBytes; ++i) {
    if (auto sent = client->sendAll(net::Bytes(request).subspan(i, 1), context.deadline, context.timeout); !sent) {
      return CheckOutcome::fail(fmt::format("send of byte {} of {}: {} (got {} bytes back before)", i + 1, kBytes,
                                            sent.error(), reply.size()));
    }
    StreamEnd end = client->readUntilSize(reply, i + 1, context.deadline);
    if (end.kind != StreamEnd::Kind::Complete) {
      return CheckOutcome::fail(
          fmt::format("{} (each byte sent alone, waiting for its echo)",
                      describeShortfall("bytes back", kBytes, reply.size(), end, context.timeout)));
    }
  }
  return outcomeOf(firstDifference(request, reply));
}

CheckOutcome coalescedRequests(const CheckContext& context) {
  constexpr int kRequests = 200;
  std::string text;
  for (int i = 1; i <= kRequests; ++i) text += fmt::format("request {:03} of {}\r\n", i, kRequests);
  std::vector<std::uint8_t> request(text.begin(), text.end());
  auto client = StreamClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  return outcomeOf(roundTrip(*client, request, context));
}

CheckOutcome allByteValues(const CheckContext& context) {
  auto client = StreamClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  return outcomeOf(roundTrip(*client, everyByteValue(), context));
}

CheckOutcome oneMebibyte(const CheckContext& context) {
  constexpr std::uint64_t kBytes = 1024 * 1024;
  auto client = StreamClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  EchoExchangeOptions options;
  options.seed = 3;
  options.sendBytes = kBytes;
  options.expectBytes = kBytes;
  auto result = runEchoExchange(*client, options, context.deadline);
  return outcomeOf(describeEchoProblem(result, kBytes, context.timeout));
}

CheckOutcome halfClose(const CheckContext& context) {
  // Fill the pipe without reading, so that when the server reads our EOF it still owes us data (in its
  // socket buffer and its own queue) and has unread data behind it: a server that takes EOF as "done"
  // drops that tail, one that closes with data unread sends RST (tcp_close(), RFC 2525 2.17).
  constexpr std::uint64_t kLimit = 32 * 1024 * 1024;
  constexpr auto kStallWindow = std::chrono::milliseconds(25);
  constexpr auto kPatience = std::chrono::milliseconds(1000);
  // What the server still owes at our EOF must sit in its own queue, not in its kernel send buffer, from
  // which even a wrong server's close() delivers it. Linux sizes a TCP send buffer from the segment size
  // and congestion window (tcp_sndbuf_expand()): on loopback a 64 KiB segment makes it megabytes, and the
  // EPOLLOUT wake-up (a third of it free, sk_stream_wspace()) then swallows the whole tail. An
  // Ethernet-sized segment, a tiny receive window and a reader slower than the server's own loop keep that
  // buffer near 200 KiB and full. Measured on Linux 6.18 (bbr): 100 of 100 runs caught no-half-close this
  // way, against 0 of 10 with the kernel's defaults and at most 8 of 20 with only some of these measures.
  ConnectOptions connectOptions;
  connectOptions.receiveBuffer = 4096;
  connectOptions.maxSegment = 1400;
  auto client = StreamClient::connect(context.target, context.deadline, connectOptions);
  if (!client) return CheckOutcome::fail(client.error());
  // A server that has not run for the stall window looks stalled too: then we have filled only our own send
  // buffer, and the whole echo fits in the kernel's buffer towards us, which even a wrong server's close()
  // delivers (seen over unix-seqpacket on a loaded machine: 262,144 bytes pushed, 4 records each way). On
  // AF_UNIX the stall therefore counts only once the server is seen holding data of its own.
  auto push = pushUntilServerHolds(*client, 4, kLimit, context.target.isUnix(), kStallWindow, kPatience,
                                   context.deadline);
  std::uint64_t pushed = push.sent;
  EchoExchangeOptions options;
  options.seed = 4;
  options.halfCloseAfterSend = true;
  options.expectBytes = pushed;
  options.expectEof = true;
  // At most ~60 MB/s: slower than a server's local read-and-send loop, so it, not we, waits on the pipe.
  options.readChunk = 32 * 1024;
  options.pauseAfterRead = std::chrono::microseconds(150);
  // A server descheduled in the middle of flushing its queue would let us drain the kernel's buffer
  // meanwhile, and then empty its queue in one go before it reads our EOF (1 run in about 150 over
  // unix-seqpacket, with the server stopped 30 ms of every 50 and two busy loops). So on AF_UNIX we read only
  // while the server holds more than the read lets it send (server_hold.h), and otherwise wait for it to
  // hang up: a server that closes at EOF then provably drops data, however the two of us are scheduled.
  options.keepServerHolding = push.held.has_value();
  options.sentBefore = pushed;
  auto result = runEchoExchange(*client, options, context.deadline);
  if (auto problem = describeEchoProblem(result, pushed, context.timeout)) {
    return CheckOutcome::fail(fmt::format("sent {} bytes without reading, then shutdown(SHUT_WR): {}", pushed, *problem));
  }
  std::string note = fmt::format("{} bytes in flight at the half-close", pushed);
  if (push.held) note += fmt::format(", {} of them held by the server", *push.held);
  if (push.outwaited) {
    note += fmt::format(" (the server held less than 64 KiB after {} ms without progress: it buffers little, "
                        "and a close at EOF would lose little)", kPatience.count());
  }
  return CheckOutcome::pass(note);
}

CheckOutcome concurrentClients(const CheckContext& context) {
  constexpr std::size_t kClients = 128;
  constexpr std::size_t kBytes = 4096;
  std::vector<PoolRequest> requests(kClients);
  for (std::size_t i = 0; i < kClients; ++i) {
    requests[i].request = makePayload(100 + i, kBytes);
    requests[i].expectBytes = kBytes;
  }
  auto countersBefore = acceptQueueCountersNow();
  auto results = runClientPool(context.target, requests, context.deadline);
  auto problem = summarizePool(results, [&](std::size_t i, const PoolResult& result) -> std::optional<std::string> {
    if (auto wrong = firstDifference(requests[i].request, result.received)) {
      return fmt::format("the echo differs at {}", *wrong);
    }
    if (result.end.kind == StreamEnd::Kind::Complete && result.received.size() == kBytes) return std::nullopt;
    return describeShortfall("bytes back", kBytes, result.received.size(), result.end, context.timeout);
  });
  // A small listen backlog is the usual cause (socat and Python's socketserver listen with 5): say so.
  if (problem) {
    if (auto cause = describeAcceptQueueCause(context.target, countersBefore)) *problem += "; cause: " + *cause;
    // Connections that were set up and then ended before a single byte came back were turned away by the
    // server itself, not by the kernel's queue: a connection rate limit (xinetd's cps) or cap.
    // Refused connects after others got through: nothing listened any more (xinetd closes a service's
    // listener for a while once its cps rate is exceeded).
    std::size_t turnedAway = 0;
    std::size_t refused = 0;
    for (const auto& result : results) {
      bool ended = result.end.kind == StreamEnd::Kind::Reset || result.end.kind == StreamEnd::Kind::Eof;
      if (result.connectError.empty() && ended && result.received.empty()) ++turnedAway;
      if (result.connectError.find("ECONNREFUSED") != std::string::npos) ++refused;
    }
    if (turnedAway > 0 || refused > 0) {
      *problem += fmt::format("; {} connections were accepted and then reset or closed before any echo, {} "
                              "were refused: the server turns connections away (a connection rate limit such "
                              "as xinetd's cps, which also closes the listener for a while, or a cap on "
                              "connections)",
                              turnedAway, refused);
    }
  }
  return outcomeOf(problem);
}

CheckOutcome resetMidStream(const CheckContext& context) {
  // B starts an exchange; A fills the pipe (so the server has data owed to A and unread from A) and resets;
  // then B finishes. The server must drop A (ECONNRESET/EPIPE on its next call) and carry on with B.
  auto bystander = StreamClient::connect(context.target, context.deadline);
  if (!bystander) return CheckOutcome::fail(fmt::format("client B: {}", bystander.error()));
  auto first = makePayload(6, 16 * 1024);
  if (auto problem = roundTrip(*bystander, first, context)) {
    return CheckOutcome::fail(fmt::format("client B, before the reset: {}", *problem));
  }
  auto resetter = StreamClient::connect(context.target, context.deadline);
  if (!resetter) return CheckOutcome::fail(fmt::format("client A: {}", resetter.error()));
  std::uint64_t pushed = pushUntilStalled(*resetter, 7, 1024 * 1024, std::chrono::milliseconds(10), context.deadline);
  resetter->abort();
  constexpr std::uint64_t kBytes = 256 * 1024;
  EchoExchangeOptions options;
  options.seed = 8;
  options.sendBytes = kBytes;
  options.expectBytes = kBytes;
  auto result = runEchoExchange(*bystander, options, context.deadline);
  if (auto problem = describeEchoProblem(result, kBytes, context.timeout)) {
    return CheckOutcome::fail(
        fmt::format("client B, after client A reset with {} bytes in flight: {}", pushed, *problem));
  }
  return CheckOutcome::pass();
}

CheckOutcome liveness(const CheckContext& context) {
  const std::string_view text = "sockspec liveness probe\r\n";
  std::vector<std::uint8_t> request(text.begin(), text.end());
  if (!net::isConnectionOriented(context.target.transport)) {
    auto client = DatagramClient::connect(context.target, context.deadline);
    if (!client) return CheckOutcome::fail(client.error());
    if (auto sent = client->send(request, context.deadline); !sent) return CheckOutcome::fail(sent.error());
    auto reply = client->receive(context.deadline);
    if (reply.kind != DatagramReply::Kind::Received) {
      return CheckOutcome::fail(describeMissingReply(reply, context.timeout));
    }
    if (reply.data != request) {
      return CheckOutcome::fail(fmt::format("expected the {}-byte probe back, got {} bytes", request.size(), reply.fullSize));
    }
    return CheckOutcome::pass();
  }
  auto client = StreamClient::connect(context.target, context.deadline);
  if (!client) return CheckOutcome::fail(client.error());
  return outcomeOf(roundTrip(*client, request, context));
}

}  // namespace sockspec::suites::echo
