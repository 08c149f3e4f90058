// The server profile over TCP, lifecycle and buffering: clients that say nothing, reset, dribble their
// request byte by byte or split it anywhere, pipeline many requests, or sit idle while a newcomer asks.
#include <fmt/format.h>
#include <poll.h>

#include <algorithm>
#include <thread>

#include "suites/server_checks.h"
#include "suites/server_exchange.h"

namespace sockspec::suites::server {

namespace {

constexpr auto kServerActs = std::chrono::milliseconds(1000);  // how long we let the server act on a close

std::string_view textOf(const std::vector<std::uint8_t>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// After a client left: waits (up to a second) until the server's end of that connection has gone from
// ESTABLISHED, so that a newcomer is served after the server dealt with the leaver, not before.
void waitUntilServerLetGo(const net::SockAddr& local, const net::SockAddr& server, Deadline deadline) {
  Deadline limit = Deadline::after(kServerActs).orEarlier(deadline);
  // Bounded by `limit`.
  for (;;) {
    auto end = findConnection(server, local);
    if (!end || end->state != net::TcpState::Established) return;
    if (limit.expired()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

CheckOutcome newcomerServed(const CheckContext& context, std::string_view after) {
  auto client = connectClient(context);
  if (!client) return CheckOutcome::fail(fmt::format("a new client after {}: {}", after, client.error()));
  if (auto problem = requestOnce(context, *client)) {
    return CheckOutcome::fail(fmt::format("a new client after {}: {}", after, *problem));
  }
  return CheckOutcome::pass();
}

}  // namespace

CheckOutcome silentClient(const CheckContext& context) {
  auto silent = connectClient(context);
  if (!silent) return CheckOutcome::fail(silent.error());
  auto local = net::localAddress(silent->fd());
  auto peer = net::peerAddress(silent->fd());
  silent->close();
  if (local && peer) waitUntilServerLetGo(*local, *peer, context.deadline);
  return newcomerServed(context, "a client that connected and closed without a word");
}

CheckOutcome resetMidRequest(const CheckContext& context) {
  auto resetter = connectClient(context, ConnectOptions{0, true, 0});
  if (!resetter) return CheckOutcome::fail(resetter.error());
  std::size_t half = std::max<std::size_t>(1, context.request.size() / 2);
  if (auto sent = resetter->sendAll(net::asBytes(context.request).subspan(0, half), context.deadline,
                                    context.timeout);
      !sent) {
    return CheckOutcome::fail(fmt::format("send: {}", sent.error()));
  }
  (void)waitUntilServerRead(*resetter, half, Deadline::after(kServerActs).orEarlier(context.deadline));
  auto local = net::localAddress(resetter->fd());
  auto peer = net::peerAddress(resetter->fd());
  resetter->abort();
  if (local && peer) waitUntilServerLetGo(*local, *peer, context.deadline);
  return newcomerServed(context,
                        fmt::format("a client that sent {} of {} bytes of the request and reset (RST)", half,
                                    context.request.size()));
}

CheckOutcome oneByteWrites(const CheckContext& context) {
  auto client = connectClient(context, ConnectOptions{0, true, 0});
  if (!client) return CheckOutcome::fail(client.error());
  const auto request = net::asBytes(context.request);
  std::size_t seenApart = 0;
  for (std::size_t i = 0; i < request.size(); ++i) {
    if (auto sent = client->sendAll(request.subspan(i, 1), context.deadline, context.timeout); !sent) {
      return CheckOutcome::fail(
          fmt::format("send of byte {} of {}: {}", i + 1, request.size(), sent.error()));
    }
    // Every byte is read by the server before the next is sent: it sees one byte per read.
    if (i + 1 < request.size() &&
        waitUntilServerRead(*client, i + 1, Deadline::after(kServerActs).orEarlier(context.deadline))) {
      ++seenApart;
    }
  }
  ReplyWait wait = readReplies(*client, *context.reply, 1, context.deadline);
  if (wait.replies != 1) {
    return CheckOutcome::fail(
        fmt::format("the request sent one byte per write (TCP_NODELAY, each read by the server "
                    "before the next): {}; the server likely expects a whole request in one read",
                    describeReplies(context, 1, wait)));
  }
  return CheckOutcome::pass(seenApart + 1 == request.size()
                                ? std::string()
                                : fmt::format("the server's reads were seen apart for {} of {} bytes",
                                              seenApart, request.size() - 1));
}

CheckOutcome pipelined(const CheckContext& context) {
  constexpr std::size_t kRequests = 16;
  auto client = connectClient(context, ConnectOptions{0, true, 0});
  if (!client) return CheckOutcome::fail(client.error());
  auto batch = repeatedRequest(context, kRequests);
  if (auto sent = client->sendAll(batch, context.deadline, context.timeout); !sent) {
    return CheckOutcome::fail(fmt::format("send: {}", sent.error()));
  }
  ReplyWait wait = readReplies(*client, *context.reply, kRequests, context.deadline);
  if (wait.replies != kRequests) {
    return CheckOutcome::fail(
        fmt::format("{} requests in one write: {}; the server likely handles one request per "
                    "read and drops the rest of the buffer",
                    kRequests, describeReplies(context, kRequests, wait)));
  }
  return CheckOutcome::pass();
}

CheckOutcome idleClients(const CheckContext& context) {
  constexpr std::size_t kIdle = 32;
  std::vector<StreamClient> idle;
  for (std::size_t i = 0; i < kIdle; ++i) {
    auto client = connectClient(context);
    if (!client)
      return CheckOutcome::fail(fmt::format("idle client {} of {}: {}", i + 1, kIdle, client.error()));
    idle.push_back(std::move(*client));
  }
  // Until the server has accepted them all (its accept queue is empty), or a second.
  Deadline limit = Deadline::after(kServerActs).orEarlier(context.deadline);
  for (;;) {
    auto listeners = findListeners(context.target);
    bool queued =
        std::any_of(listeners.begin(), listeners.end(), [](const auto& l) { return l.receiveQueue > 0; });
    if (!queued || limit.expired()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  auto newcomer = connectClient(context);
  if (!newcomer) {
    return CheckOutcome::fail(
        fmt::format("a newcomer while {} idle clients hold connections: {}", kIdle, newcomer.error()));
  }
  if (auto problem = requestOnce(context, *newcomer)) {
    return CheckOutcome::fail(
        fmt::format("a newcomer while {} idle clients hold connections: {}; the server likely "
                    "serves one connection at a time (blocked reading an idle client)",
                    kIdle, *problem));
  }
  return CheckOutcome::pass();
}

CheckOutcome splitEverywhere(const CheckContext& context) {
  const auto request = net::asBytes(context.request);
  if (request.size() < 2) return CheckOutcome::pass("a 1-byte request cannot be split");
  std::size_t notSeenApart = 0;
  for (std::size_t cut = 1; cut < request.size(); ++cut) {
    auto client = connectClient(context, ConnectOptions{0, true, 0});
    if (!client) return CheckOutcome::fail(fmt::format("split after byte {}: {}", cut, client.error()));
    if (auto sent = client->sendAll(request.subspan(0, cut), context.deadline, context.timeout); !sent) {
      return CheckOutcome::fail(fmt::format("split after byte {}: send: {}", cut, sent.error()));
    }
    if (!waitUntilServerRead(*client, cut, Deadline::after(kServerActs).orEarlier(context.deadline)))
      ++notSeenApart;
    if (auto sent = client->sendAll(request.subspan(cut), context.deadline, context.timeout); !sent) {
      return CheckOutcome::fail(fmt::format("split after byte {}: send of the rest: {}", cut, sent.error()));
    }
    ReplyWait wait = readReplies(*client, *context.reply, 1, context.deadline);
    if (wait.replies != 1) {
      return CheckOutcome::fail(
          fmt::format("the request in two writes, split after byte {} of {} (the server read the "
                      "first part before the rest was sent): {}",
                      cut, request.size(), describeReplies(context, 1, wait)));
    }
  }
  return CheckOutcome::pass(notSeenApart == 0
                                ? fmt::format("{} splits", request.size() - 1)
                                : fmt::format("{} splits; the server's read of the first part was not "
                                              "seen for {} of them",
                                              request.size() - 1, notSeenApart));
}

CheckOutcome largeBatch(const CheckContext& context) {
  const std::size_t count =
      std::max<std::size_t>(1000, (64 * 1024) / std::max<std::size_t>(1, context.request.size()));
  auto client = connectClient(context);
  if (!client) return CheckOutcome::fail(client.error());
  auto batch = repeatedRequest(context, count);
  std::size_t sent = 0;
  ReplyWait wait;
  ReplyScanner scanner(*context.reply);
  std::vector<std::uint8_t> chunk(64 * 1024);
  // Sends and reads at once, so that neither side's buffers fill while the other waits. Bounded by the
  // deadline: every turn polls with it.
  while (wait.replies < count) {
    pollfd entry{client->fd(), static_cast<short>(POLLIN | (sent < batch.size() ? POLLOUT : 0)), 0};
    int ready = ::poll(&entry, 1, context.deadline.pollTimeoutMs());
    if (ready < 0 && errno != EINTR) break;
    if (ready == 0) {
      wait.end = StreamEnd::timedOut();
      break;
    }
    if ((entry.revents & POLLOUT) != 0) {
      auto done = net::sendBytes(client->fd(), net::Bytes(batch).subspan(sent));
      if (done)
        sent += *done;
      else if (done.error().code != EAGAIN) {
        wait.end = StreamEnd::fromError(done.error());
        break;
      }
    }
    if ((entry.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      auto got = net::recvBytes(client->fd(), chunk);
      if (!got && got.error().code != EAGAIN) {
        wait.end = StreamEnd::fromError(got.error());
        break;
      }
      if (got && *got == 0) {
        wait.end = StreamEnd::eof();
        break;
      }
      if (got)
        wait.received.insert(wait.received.end(), chunk.begin(), chunk.begin() + static_cast<long>(*got));
      wait.replies = scanner.scan(textOf(wait.received));
      if (scanner.unmatchable(textOf(wait.received))) break;
    }
  }
  if (wait.replies != count) {
    return CheckOutcome::fail(fmt::format("{} requests ({} bytes) pipelined, {} bytes of them sent: {}",
                                          count, batch.size(), sent, describeReplies(context, count, wait)));
  }
  return CheckOutcome::pass(fmt::format("{} requests, {} bytes of replies", count, wait.received.size()));
}

CheckOutcome liveness(const CheckContext& context) {
  if (context.target.transport == net::Transport::Udp) return datagramReply(context);
  auto client = connectClient(context);
  if (!client) return CheckOutcome::fail(client.error());
  if (auto problem = requestOnce(context, *client)) return CheckOutcome::fail(*problem);
  return CheckOutcome::pass();
}

}  // namespace sockspec::suites::server
