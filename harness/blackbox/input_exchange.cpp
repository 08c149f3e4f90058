#include "blackbox/input_exchange.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <optional>

#include "net/readiness.h"

namespace sockspec::blackbox {

namespace {

// The server is gone when a send or recv says so (send(2), recv(2), tcp(7)).
bool isPeerGone(int code) {
  return code == ECONNRESET || code == EPIPE;
}

class ReplyReader {
 public:
  ReplyReader(int fd, ExchangeResult& result, std::size_t maxKept)
      : m_fd(fd), m_result(result), m_maxKept(maxKept) {}

  // Reads what is queued without blocking. False once the connection ended (m_result.end says how).
  bool drain() {
    for (;;) {
      auto received = net::recvBytes(m_fd, net::MutableBytes(m_buffer.data(), m_buffer.size()));
      if (!received) {
        int code = received.error().code;
        if (code == EAGAIN || code == EWOULDBLOCK) return true;
        if (code == EINTR) continue;
        m_result.end = ConnectionEnd::Reset;
        m_result.error = received.error();
        return false;
      }
      if (*received == 0) {
        m_result.end = ConnectionEnd::OrderlyClose;
        return false;
      }
      m_result.replyBytes += *received;
      std::size_t keep = std::min(*received, m_maxKept - std::min(m_maxKept, m_result.reply.size()));
      m_result.reply.append(reinterpret_cast<const char*>(m_buffer.data()), keep);
    }
  }

 private:
  int m_fd;
  ExchangeResult& m_result;
  std::size_t m_maxKept;
  std::array<std::uint8_t, 64 * 1024> m_buffer{};
};

// net::waitFor in slices of kStopCheck, so that an interrupt is noticed; nullopt when it came first.
std::optional<Result<net::Readiness>> waitUnlessStopped(int fd, short events, Deadline deadline,
                                                        const ExchangeLimits& limits) {
  // Bounded by the deadline: each slice ends in it.
  for (;;) {
    if (limits.stopped()) return std::nullopt;
    auto ready = net::waitFor(fd, events, Deadline::after(kStopCheck).orEarlier(deadline));
    if (!ready || *ready == net::Readiness::Ready || deadline.expired()) return ready;
  }
}

}  // namespace

std::string_view connectionEndName(ConnectionEnd end) {
  switch (end) {
    case ConnectionEnd::OrderlyClose:
      return "closed in order";
    case ConnectionEnd::Reset:
      return "reset";
    case ConnectionEnd::StillOpen:
      return "still open";
  }
  return "?";
}

ExchangeResult exchangeInput(const net::Endpoint& endpoint, net::Bytes input, const ExchangeLimits& limits) {
  ExchangeResult result;
  if (limits.stopped()) {
    result.interrupted = true;
    return result;
  }
  auto connected = net::connectEndpoint(endpoint, Deadline::after(limits.connectTimeout));
  if (!connected) {
    result.connectFailure = connected.error();
    return result;
  }
  int fd = connected->get();
  ReplyReader reader(fd, result, limits.maxReplyBytes);
  // The whole exchange is bounded even when the server trickles bytes forever (each resets `idle`).
  Deadline overall = Deadline::after(10 * limits.hangTimeout);
  auto idleDeadline = [&] { return Deadline::after(limits.hangTimeout).orEarlier(overall); };
  Deadline idle = idleDeadline();

  while (result.bytesSent < input.size()) {
    auto sent = net::sendBytes(fd, input.subspan(result.bytesSent));
    if (sent) {
      result.bytesSent += *sent;
      idle = idleDeadline();
      continue;
    }
    int code = sent.error().code;
    if (code == EINTR) continue;
    if (isPeerGone(code)) break;  // the server closed or reset: read what it sent before that
    if (code != EAGAIN && code != EWOULDBLOCK) {
      result.error = sent.error();
      result.end = ConnectionEnd::Reset;
      return result;
    }
    // The send buffer is full: the server is not reading, or its replies fill our receive side. Read while
    // waiting, so an echo server is never blocked on us.
    auto waited = waitUnlessStopped(fd, POLLIN | POLLOUT, idle, limits);
    if (!waited) {
      result.interrupted = true;
      return result;
    }
    auto ready = *waited;
    if (!ready || *ready == net::Readiness::TimedOut) {
      result.silentFor = limits.hangTimeout;
      return result;  // still open: the server stopped taking bytes
    }
    std::size_t before = result.replyBytes;
    if (!reader.drain()) return result;
    if (result.replyBytes != before) idle = idleDeadline();
  }
  // Our side is done: a FIN, so that an echo server knows the request is complete (RFC 862 servers echo
  // until the client closes). ENOTCONN here means the server already reset the connection.
  (void)net::shutdownSocket(fd, SHUT_WR);

  for (;;) {
    std::size_t before = result.replyBytes;
    if (!reader.drain()) return result;
    if (result.replyBytes != before) idle = idleDeadline();
    auto waited = waitUnlessStopped(fd, POLLIN, idle, limits);
    if (!waited) {
      result.interrupted = true;
      return result;
    }
    auto ready = *waited;
    if (!ready) {
      result.error = ready.error();
      return result;
    }
    if (*ready == net::Readiness::TimedOut) {
      result.silentFor = limits.hangTimeout;
      return result;
    }
  }
}

}  // namespace sockspec::blackbox
