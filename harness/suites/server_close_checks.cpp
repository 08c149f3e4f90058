// The server profile's close-order family: who closes first after a reply and how (FIN or RST), a
// reply lost to an RST, a half-closed client, connections left in CLOSE-WAIT, and which side holds
// TIME-WAIT. The kernel's view of both ends comes from sock_diag (server_exchange.h).
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <thread>

#include "net/readiness.h"
#include "suites/server_checks.h"
#include "suites/server_exchange.h"

namespace sockspec::suites::server {

namespace {

// How long a reply's connection is watched for the server closing it. A server that closes later is
// taken for one that keeps connections open; this only changes the facts reported, never the verdict.
constexpr auto kWatchForClose = std::chrono::milliseconds(200);

// Waits until the connection between `local` and `remote` is in `state` (or gone when `state` is empty);
// its last state seen.
std::optional<net::TcpSocketInfo> waitForState(const net::SockAddr& local, const net::SockAddr& remote,
                                               std::optional<net::TcpState> state, Deadline limit) {
  // Bounded by `limit`.
  for (;;) {
    auto seen = findConnection(local, remote);
    if (state ? (seen && seen->state == *state) : !seen) return seen;
    if (limit.expired()) return seen;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

std::string stateOf(const std::optional<net::TcpSocketInfo>& socket) {
  return socket ? net::tcpStateName(socket->state) : std::string("gone");
}

// A client connected to the server that has had one reply, with both ends' addresses (for sock_diag).
struct Exchanged {
  StreamClient client;
  net::SockAddr local;   // the client's end
  net::SockAddr server;  // the server's end
};

Expected<Exchanged, std::string> connectAndRequest(const CheckContext& context) {
  auto client = connectClient(context);
  if (!client) return Unexpected{client.error()};
  auto local = net::localAddress(client->fd());
  auto server = net::peerAddress(client->fd());
  if (!local || !server) return Unexpected{std::string("getsockname/getpeername failed on a connected socket")};
  if (auto problem = requestOnce(context, *client)) return Unexpected{*problem};
  return Exchanged{std::move(*client), *local, *server};
}

}  // namespace

CheckOutcome closeOrder(const CheckContext& context) {
  auto exchanged = connectAndRequest(context);
  if (!exchanged) return CheckOutcome::fail(exchanged.error());
  auto& [client, local, server] = *exchanged;
  std::vector<std::uint8_t> after;
  StreamEnd end = client.readSome(after, Deadline::after(kWatchForClose).orEarlier(context.deadline));
  if (end.kind == StreamEnd::Kind::Reset) {
    return CheckOutcome::fail(
        fmt::format("the server reset the connection after its reply ({}): it closes with RST "
                    "(SO_LINGER 0, or input left unread: tcp_close(), RFC 2525 2.17), so a "
                    "client can lose a reply still in flight",
                    end.error.describe()));
  }
  if (end.kind == StreamEnd::Kind::Complete) {
    return CheckOutcome::fail(
        fmt::format("{} unexpected bytes after the one reply, before any second request", after.size()));
  }
  // Up to the deadline: a correct server's end reaches its state in microseconds, so only a server that
  // never closes costs the wait, and the verdict does not depend on it.
  Deadline limit = context.deadline;
  if (end.kind == StreamEnd::Kind::Eof) {
    client.close();
    auto serverEnd = waitForState(server, local, net::TcpState::TimeWait, limit);
    return CheckOutcome::pass(
        fmt::format("the server closes first after a reply (FIN); TIME-WAIT is held by the "
                    "server (its end: {})",
                    stateOf(serverEnd)));
  }
  client.close();
  auto ours = waitForState(local, server, net::TcpState::TimeWait, limit);
  if (ours && ours->state == net::TcpState::TimeWait) {
    return CheckOutcome::pass(
        "the server keeps the connection open after a reply; the client closes first (FIN), the "
        "server follows, and TIME-WAIT is held by the client");
  }
  return CheckOutcome::pass(
      fmt::format("the server keeps the connection open after a reply; at the deadline, after the "
                  "client closed, the client's end is {} (the server has not closed its end: see "
                  "server.client-leaves-first)",
                  stateOf(ours)));
}

CheckOutcome unreadInputClose(const CheckContext& context) {
  auto client = connectClient(context, ConnectOptions{0, true, 0});
  if (!client) return CheckOutcome::fail(client.error());
  // Two requests in one segment: a server that reads one, answers and closes leaves the second unread.
  auto both = repeatedRequest(context, 2);
  if (auto sent = client->sendAll(both, context.deadline, context.timeout); !sent) {
    return CheckOutcome::fail(fmt::format("send: {}", sent.error()));
  }
  ReplyWait wait = readReplies(*client, *context.reply, 2, context.deadline);
  if (wait.replies == 2) return CheckOutcome::pass();
  if (wait.end.kind == StreamEnd::Kind::Reset) {
    std::string reply = wait.replies == 1 ? std::string("its reply to the first arrived before the RST")
                                          : fmt::format("the reply was lost to the RST ({} bytes arrived)",
                                                        wait.received.size());
    return CheckOutcome::fail(
        fmt::format("two requests in one write: the server closed with the second unread, so its "
                    "kernel sent RST instead of FIN (tcp_close(), RFC 2525 2.17); {}; a server "
                    "that closes must read what is left first, or shutdown(SHUT_WR) and drain",
                    reply));
  }
  if (wait.end.kind == StreamEnd::Kind::Eof && wait.replies == 1) {
    return CheckOutcome::pass("the server answers one request per connection and closes with FIN");
  }
  return CheckOutcome::fail(fmt::format("two requests in one write: {}", describeReplies(context, 2, wait)));
}

CheckOutcome halfClose(const CheckContext& context) {
  auto client = connectClient(context);
  if (!client) return CheckOutcome::fail(client.error());
  // TCP_CORK holds the request back until shutdown(SHUT_WR) sends it with the FIN in one segment
  // (tcp_send_fin() sets FIN on the queued tail): the server reads the request and the end together.
  if (context.target.transport == net::Transport::Tcp) {
    (void)net::setIntOption(client->fd(), IPPROTO_TCP, TCP_CORK, 1);
  }
  if (auto sent = client->sendAll(net::asBytes(context.request), context.deadline, context.timeout); !sent) {
    return CheckOutcome::fail(fmt::format("send: {}", sent.error()));
  }
  if (auto shut = client->shutdownWrite(); !shut) return CheckOutcome::fail(shut.error().describe());
  ReplyWait wait = readReplies(*client, *context.reply, 1, context.deadline);
  if (wait.replies == 1) return CheckOutcome::pass();
  return CheckOutcome::fail(
      fmt::format("the request and the client's FIN (shutdown(SHUT_WR)) in one segment: {}; the "
                  "server takes the end of input as the end of the conversation and drops what "
                  "it read with it (RFC 793 3.5: a half-closed connection still carries the reply)",
                  describeReplies(context, 1, wait)));
}

CheckOutcome clientLeavesFirst(const CheckContext& context) {
  auto exchanged = connectAndRequest(context);
  if (!exchanged) return CheckOutcome::fail(exchanged.error());
  auto& [client, local, server] = *exchanged;
  if (!findConnection(server, local)) {
    return CheckOutcome::skip("the server's end of the connection is not visible in this network namespace");
  }
  client.close();
  auto serverEnd = waitForState(server, local, std::nullopt, context.deadline);
  if (serverEnd && serverEnd->state == net::TcpState::CloseWait) {
    return CheckOutcome::fail(
        fmt::format("{} ms after the client closed, the server's end of the connection is still in "
                    "CLOSE-WAIT ({} bytes unread): "
                    "the server never closes a connection its client has left (it ignores recv() returning "
                    "0), and each such "
                    "connection keeps a descriptor",
                    context.timeout.count(), serverEnd->receiveQueue));
  }
  if (serverEnd && serverEnd->state != net::TcpState::TimeWait) {
    return CheckOutcome::pass(fmt::format("the server's end is {} at the deadline", stateOf(serverEnd)));
  }
  return CheckOutcome::pass();
}

}  // namespace sockspec::suites::server
