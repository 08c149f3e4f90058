#include "datagram_exchange.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <thread>
#include <vector>

#include "connection_close.h"
#include "net/readiness.h"
#include "net/socket_ops.h"

namespace sockspec::client {

namespace {

bool isTransient(int code) {
  return code == EAGAIN || code == EWOULDBLOCK || code == EINTR;
}

struct Reply {
  std::size_t length = 0;  // the datagram's real length (recv with MSG_TRUNC: unix(7), udp(7))
  std::string_view bytes;  // what fitted in the buffer
};

// One socket of a datagram exchange: sends and receives whole messages within the deadline.
class DatagramPeer {
 public:
  DatagramPeer(int fd, const ExchangeContext& context) : m_fd(fd), m_context(context) {}

  // Sends one message; false if the deadline passed while the socket had no room (a full unix-dgram
  // receiver queue makes the sender wait: unix(7)).
  Result<bool> send(std::string_view message) {
    for (;;) {
      auto sent = net::sendBytes(m_fd, net::asBytes(message));
      if (sent) return true;
      if (!isTransient(sent.error().code)) return Unexpected{sent.error()};
      auto ready = net::waitWritable(m_fd, m_context.deadline);
      if (!ready) return Unexpected{ready.error()};
      if (*ready == net::Readiness::TimedOut) return false;
    }
  }

  // Receives one message into a buffer of `capacity` bytes; nullopt if the deadline passed first.
  Result<std::optional<Reply>> receive(std::size_t capacity) {
    m_buffer.resize(std::max<std::size_t>(capacity, 1));
    for (;;) {
      // MSG_TRUNC as an input flag makes recv return the datagram's full length even when it did not fit
      // (recv(2); SOCKET-FACTS), so a reply longer than the buffer is told apart from an equal one.
      auto got = net::recvMessageInto(m_fd, net::MutableBytes(m_buffer.data(), capacity), MSG_TRUNC);
      if (got) {
        const std::size_t kept = std::min(got->size, capacity);
        return std::optional<Reply>(
            Reply{got->size, std::string_view(reinterpret_cast<const char*>(m_buffer.data()), kept)});
      }
      if (!isTransient(got.error().code)) return Unexpected{got.error()};
      auto ready = net::waitReadable(m_fd, m_context.deadline);
      if (!ready) return Unexpected{ready.error()};
      if (*ready == net::Readiness::TimedOut) return std::optional<Reply>();
    }
  }

  // The pause of --delay between datagrams, cut short by the deadline.
  void pause() const {
    if (m_context.options.delay.count() <= 0) return;
    std::this_thread::sleep_for(std::min(m_context.options.delay, m_context.deadline.remaining()));
  }

 private:
  int m_fd;
  const ExchangeContext& m_context;
  std::vector<std::uint8_t> m_buffer;
};

bool isSeqpacket(const ExchangeContext& context) {
  return context.endpoint.transport == net::Transport::UnixSeqpacket;
}

const char* unitName(const ExchangeContext& context) {
  return isSeqpacket(context) ? "record" : "datagram";
}

// The requests of an echo: one per chunk. An empty input is one empty datagram (a fair question for a UDP
// echo server); on seqpacket it is no record at all, since a zero-length read there means end of file.
std::vector<std::string_view> splitMessages(std::string_view input, const ExchangeContext& context) {
  std::vector<std::string_view> messages;
  if (input.empty() && isSeqpacket(context)) return messages;
  std::size_t offset = 0;
  for (std::size_t length : splitByPlan(context.chunks, input.size())) {
    messages.push_back(input.substr(offset, length));
    offset += length;
  }
  return messages;
}

Outcome compareEcho(const Reply& reply, std::string_view sent, std::string_view label) {
  if (reply.length != sent.size()) {
    return serverFailed(fmt::format("{}: reply was {} bytes, sent {}", label, reply.length, sent.size()));
  }
  const auto [gotAt, sentAt] = std::mismatch(reply.bytes.begin(), reply.bytes.end(), sent.begin());
  if (gotAt != reply.bytes.end()) {
    return serverFailed(
        fmt::format("{}: the reply differs from the request at byte {}: sent 0x{:02x}, got 0x{:02x}", label,
                    gotAt - reply.bytes.begin(), static_cast<unsigned char>(*sentAt),
                    static_cast<unsigned char>(*gotAt)));
  }
  return {};
}

// After the last echo on seqpacket with --half-close: shutdown(SHUT_WR), then nothing may arrive but EOF.
Outcome awaitCloseAfterHalfClose(int fd, DatagramPeer& peer, const ExchangeContext& context) {
  if (auto shut = shutdownWriting(fd, context.endpoint, "echo"); !shut) return shut;
  auto reply = peer.receive(context.options.readSize);
  if (!reply) return socketFailed(context.endpoint, reply.error(), "echo after shutdown(SHUT_WR)");
  if (!reply->has_value()) {
    return timedOut(context.options.timeout, "waiting for the server to close after shutdown(SHUT_WR)");
  }
  if ((*reply)->length != 0) {
    return serverFailed(
        fmt::format("the server sent a record of {} bytes after the last echo", (*reply)->length));
  }
  return {};
}

Outcome runEcho(net::UniqueFd& fd, DatagramPeer& peer, std::string_view input,
                const ExchangeContext& context) {
  const std::vector<std::string_view> messages = splitMessages(input, context);
  const bool abortAfterLast = context.options.closeMode == CloseMode::Abort;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const std::string label = fmt::format("{} {} of {}", unitName(context), i + 1, messages.size());
    if (i > 0) peer.pause();
    auto sent = peer.send(messages[i]);
    if (!sent) return socketFailed(context.endpoint, sent.error(), "echo: sending " + label);
    if (!*sent) return timedOut(context.options.timeout, "waiting to send " + label);
    if (abortAfterLast && i + 1 == messages.size()) break;

    // A buffer one byte larger than the request would do; MSG_TRUNC reports longer replies anyway.
    auto reply = peer.receive(std::max(context.options.readSize, messages[i].size()));
    if (!reply)
      return socketFailed(context.endpoint, reply.error(), "echo: waiting for the reply to " + label);
    if (!reply->has_value()) {
      return timedOut(context.options.timeout,
                      fmt::format("waiting for the reply to {} ({} bytes)", label, messages[i].size()));
    }
    const Reply& got = **reply;
    if (isSeqpacket(context) && got.length == 0) {
      return serverFailed(
          fmt::format("the server closed the connection after {} of {} replies", i, messages.size()));
    }
    context.replies.write(got.bytes);
    if (auto same = compareEcho(got, messages[i], label); !same) return same;
  }

  switch (context.options.closeMode) {
    case CloseMode::Normal:
      return {};
    case CloseMode::Abort:
      return resetConnection(fd, context.endpoint);
    case CloseMode::HalfClose:
      return awaitCloseAfterHalfClose(fd.get(), peer, context);
  }
  return {};
}

Outcome runDiscard(std::string_view input, DatagramPeer& peer, const ExchangeContext& context) {
  const std::vector<std::string_view> messages = splitMessages(input, context);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const std::string label = fmt::format("{} {} of {}", unitName(context), i + 1, messages.size());
    if (i > 0) peer.pause();
    auto sent = peer.send(messages[i]);
    if (!sent) return socketFailed(context.endpoint, sent.error(), "discard: sending " + label);
    if (!*sent) return timedOut(context.options.timeout, "waiting to send " + label);
  }
  return {};
}

// chargen (RFC 864) and daytime (RFC 867) over UDP: any datagram asks for one reply.
Outcome runAskOnce(DatagramPeer& peer, const ExchangeContext& context) {
  const std::string_view service = serviceName(context.options.service);
  auto sent = peer.send({});
  if (!sent)
    return socketFailed(context.endpoint, sent.error(), fmt::format("{}: sending the request", service));
  if (!*sent)
    return timedOut(context.options.timeout, fmt::format("waiting to send the {} request", service));
  auto reply = peer.receive(context.options.readSize);
  if (!reply)
    return socketFailed(context.endpoint, reply.error(), fmt::format("{}: waiting for the reply", service));
  if (!reply->has_value())
    return timedOut(context.options.timeout, fmt::format("waiting for the {} reply", service));
  const Reply& got = **reply;
  context.replies.write(got.bytes);
  if (got.length > got.bytes.size()) {
    printNote(fmt::format("the {}-byte reply was cut to the {} bytes of --read-size", got.length,
                          got.bytes.size()));
  }
  return {};
}

}  // namespace

Outcome runDatagramService(net::UniqueFd& fd, std::string_view input, const ExchangeContext& context) {
  DatagramPeer peer(fd.get(), context);
  switch (context.options.service) {
    case Service::Echo:
      return runEcho(fd, peer, input, context);
    case Service::Discard:
      return runDiscard(input, peer, context);
    case Service::Chargen:
    case Service::Daytime:
      return runAskOnce(peer, context);
    case Service::Framed:
      break;
  }
  return internalFailed(
      fmt::format("the {} service does not run over datagrams", serviceName(context.options.service)));
}

}  // namespace sockspec::client
