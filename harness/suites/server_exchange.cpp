#include "suites/server_exchange.h"

#include <fmt/format.h>
#include <netinet/in.h>

#include <algorithm>
#include <thread>

#include "base/display_escape.h"
#include "net/readiness.h"

namespace sockspec::suites::server {

namespace {

std::string_view textOf(const std::vector<std::uint8_t>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

constexpr auto kPollPause = std::chrono::microseconds(500);

}  // namespace

std::size_t ReplyScanner::scan(std::string_view bytes) {
  // Bounded: every turn either tries one more prefix length (at most kMaxReplyBytes per reply) or counts a
  // reply and moves past it.
  for (;;) {
    std::size_t available = bytes.size() - m_consumed;
    if (m_tried >= available || m_tried >= kMaxReplyBytes) return m_replies;
    ++m_tried;
    if (m_reply->matches(bytes.substr(m_consumed, m_tried))) {
      ++m_replies;
      m_consumed += m_tried;
      m_tried = 0;
    }
  }
}

ReplyWait readReplies(StreamClient& client, const pattern::BytePattern& reply, std::size_t want,
                      Deadline deadline) {
  ReplyWait wait;
  ReplyScanner scanner(reply);
  // Bounded: every turn reads at least a byte or ends (EOF, error, deadline).
  while (wait.replies < want) {
    StreamEnd end = client.readSome(wait.received, deadline);
    wait.replies = scanner.scan(textOf(wait.received));
    if (end.kind != StreamEnd::Kind::Complete) {
      wait.end = end;
      return wait;
    }
    if (scanner.unmatchable(textOf(wait.received))) break;
  }
  wait.end = StreamEnd::complete();
  return wait;
}

std::string describeReplies(const CheckContext& context, std::size_t want, const ReplyWait& wait) {
  std::string expected = want == 1 ? fmt::format("a reply ({})", context.reply->describe())
                                   : fmt::format("{} replies ({})", want, context.reply->describe());
  if (wait.received.empty() && wait.end.kind == StreamEnd::Kind::TimedOut) {
    return fmt::format("expected {}, got no reply within {} ms", expected, context.timeout.count());
  }
  std::string how = wait.end.kind == StreamEnd::Kind::Complete ? std::string("that match nothing")
                                                               : describeEnd(wait.end, context.timeout);
  std::string got = want == 1 ? fmt::format("{} bytes", wait.received.size())
                              : fmt::format("{} ({} bytes)", wait.replies, wait.received.size());
  return fmt::format("expected {}, got {} \"{}\" {}", expected, got,
                     escapeForDisplay(textOf(wait.received), 60), how);
}

std::vector<std::uint8_t> repeatedRequest(const CheckContext& context, std::size_t count) {
  std::vector<std::uint8_t> bytes;
  bytes.reserve(context.request.size() * count);
  for (std::size_t i = 0; i < count; ++i)
    bytes.insert(bytes.end(), context.request.begin(), context.request.end());
  return bytes;
}

Expected<StreamClient, std::string> connectClient(const CheckContext& context,
                                                  const ConnectOptions& options) {
  return StreamClient::connect(context.target, context.deadline, options);
}

std::optional<std::string> requestOnce(const CheckContext& context, StreamClient& client) {
  if (auto sent = client.sendAll(net::asBytes(context.request), context.deadline, context.timeout); !sent) {
    return fmt::format("send: {}", sent.error());
  }
  ReplyWait wait = readReplies(client, *context.reply, 1, context.deadline);
  if (wait.replies == 1) return std::nullopt;
  return describeReplies(context, 1, wait);
}

std::optional<net::TcpSocketInfo> findConnection(const net::SockAddr& local, const net::SockAddr& remote,
                                                 std::uint32_t stateMask, net::TcpDiagDetail detail) {
  auto sockets = net::listTcpSockets(local.family(), stateMask, detail);
  if (!sockets) return std::nullopt;
  for (const auto& socket : *sockets) {
    if (socket.state == net::TcpState::Listen) continue;
    if (net::portOf(socket.local) == net::portOf(local) &&
        net::portOf(socket.remote) == net::portOf(remote) && net::sameHost(socket.local, local) &&
        net::sameHost(socket.remote, remote)) {
      return socket;
    }
  }
  return std::nullopt;
}

std::optional<net::TcpSocketInfo> serverEndOf(const StreamClient& client, net::TcpDiagDetail detail) {
  auto local = net::localAddress(client.fd());
  auto peer = net::peerAddress(client.fd());
  if (!local || !peer) return std::nullopt;
  // The states a connection's server end is in while its owner may still read.
  constexpr std::uint32_t kOpen = net::tcpStateBit(net::TcpState::Established) |
                                  net::tcpStateBit(net::TcpState::CloseWait) |
                                  net::tcpStateBit(net::TcpState::SynRecv);
  return findConnection(*peer, *local, kOpen, detail);
}

bool waitUntilServerRead(const StreamClient& client, std::uint64_t sent, Deadline limit) {
  // Bounded by `limit`: polls the kernel's view of the server's end every half millisecond. What arrived
  // is read from the server's own end (not from our acknowledgements, which a delayed ACK holds back).
  for (;;) {
    auto end = serverEndOf(client, net::TcpDiagDetail::Info);
    if (!end || !end->bytesReceived) return false;
    if (*end->bytesReceived >= sent && end->receiveQueue == 0) return true;
    if (limit.expired()) return false;
    std::this_thread::sleep_for(kPollPause);
  }
}

std::vector<net::TcpSocketInfo> findListeners(const net::Endpoint& target) {
  std::vector<net::TcpSocketInfo> found;
  auto address = net::toSockAddr(target);
  if (!address) return found;
  // An IPv4 client reaches IPv4 listeners and a dual-stack [::] one; an IPv6 client only IPv6 listeners.
  const bool ipv6 = target.isIpv6();
  for (int family : {AF_INET, AF_INET6}) {
    if (ipv6 && family == AF_INET) continue;
    auto sockets = net::listTcpSockets(family, net::tcpStateBit(net::TcpState::Listen));
    if (!sockets) continue;
    for (const auto& socket : *sockets) {
      if (net::portOf(socket.local) != target.port) continue;
      bool sameFamily = (family == AF_INET6) == ipv6;
      if (net::isWildcard(socket.local) || (sameFamily && net::sameHost(socket.local, *address))) {
        found.push_back(socket);
      }
    }
  }
  return found;
}

void waitForAcceptQueueRoom(const net::Endpoint& target, Deadline limit) {
  // Bounded by `limit`: polls every half millisecond.
  for (;;) {
    auto listeners = findListeners(target);
    bool room = std::all_of(listeners.begin(), listeners.end(), [](const net::TcpSocketInfo& l) {
      return l.receiveQueue < std::max(1u, l.sendQueue);
    });
    if (room || limit.expired()) return;
    std::this_thread::sleep_for(kPollPause);
  }
}

}  // namespace sockspec::suites::server
