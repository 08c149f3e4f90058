#include "blackbox/conversation_exchange.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>

#include "blackbox/conversation.h"
#include "net/readiness.h"
#include "process/process_activity.h"

namespace sockspec::blackbox {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::microseconds;

microseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<microseconds>(Clock::now() - start);
}

// The server is gone when a send or recv says so (send(2), recv(2), tcp(7)); a UDP socket learns of a
// closed port from the ICMP port unreachable as ECONNREFUSED (udp(7), "Error handling").
bool isPeerGone(int code) { return code == ECONNRESET || code == EPIPE || code == ECONNREFUSED; }

// While the server works on a message, its activity is read again after a wait that starts at nothing and
// doubles up to kLongestSlice: a server that is nearly done (it often is: on loopback the reply comes
// before it is back in its wait) is seen at rest within microseconds, a busy one costs few reads.
// poll(2)'s millisecond would be 20 replies on loopback.
constexpr microseconds kFirstSlice{2};
constexpr microseconds kLongestSlice{1000};

// Whether `fd` becomes readable within `slice` (ppoll(2): poll's timeout is whole milliseconds). EINTR
// counts as not yet: the caller's loop is bounded by its own deadline.
bool readableWithin(int fd, microseconds slice) {
  pollfd entry{fd, POLLIN, 0};
  slice = std::clamp(slice, microseconds(0), microseconds(999'999));
  timespec timeout{0, static_cast<long>(slice.count()) * 1000};
  return ::ppoll(&entry, 1, &timeout, nullptr) > 0;
}

class Conversation {
 public:
  // `beforeConnect`: the server's activity read before the connection was made, the baseline of a first
  // message that sends nothing (a wait for a greeting): its accept is then what it ran for.
  Conversation(int fd, bool datagram, const FuzzProtocol& protocol, const ReplyWaits& waits,
               const ExchangeLimits& limits, ExchangeResult& result, std::optional<process::Activity> beforeConnect)
      : m_fd(fd),
        m_datagram(datagram),
        m_protocol(protocol),
        m_waits(waits),
        m_limits(limits),
        m_result(result),
        m_overall(Deadline::after(10 * limits.hangTimeout)) {
    if (beforeConnect) {
      m_restBaseline = *beforeConnect;
      m_baselineFresh = true;
    }
  }

  // Sends `message` and waits for its reply. False when the exchange is over (the connection ended, an
  // interrupt, the overall deadline): m_result says how.
  bool converse(net::Bytes message, bool last) {
    m_result.messages.emplace_back().replyOffset = m_result.reply.size();
    // The baseline for a message whose reply a rest may end (not a stream's last, when its close is awaited).
    bool closeAwaited = last && !m_datagram && m_waits.awaitClose;
    if (m_waits.rest != nullptr && !closeAwaited && !m_baselineFresh) m_restBaseline = m_waits.rest->read(true);
    m_baselineFresh = false;
    if (!send(message)) return false;
    if (last && !m_datagram) (void)net::shutdownSocket(m_fd, SHUT_WR);  // ENOTCONN: already reset
    return awaitReply(closeAwaited);
  }

 private:
  MessageReply& current() { return m_result.messages.back(); }

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
      if (*received == 0 && !m_datagram) {
        m_result.end = ConnectionEnd::OrderlyClose;
        return false;
      }
      MessageReply& message = current();
      if (!message.firstByte) {
        message.firstByte = since(m_sentAt);
      } else {
        message.largestGap = std::max(message.largestGap, since(m_lastByteAt));
      }
      m_lastByteAt = Clock::now();
      message.replyBytes += *received;
      m_result.replyBytes += *received;
      std::size_t room = m_limits.maxReplyBytes - std::min(m_limits.maxReplyBytes, m_result.reply.size());
      m_result.reply.append(reinterpret_cast<const char*>(m_buffer.data()), std::min(*received, room));
    }
  }

  // A wait for `events` until `deadline`, in slices so that an interrupt is noticed: Ready, TimedOut, or
  // nullopt when interrupted (m_result says so) or poll failed.
  std::optional<net::Readiness> wait(short events, Deadline deadline) {
    for (;;) {
      if (m_limits.stopped()) {
        m_result.interrupted = true;
        return std::nullopt;
      }
      auto ready = net::waitFor(m_fd, events, Deadline::after(kStopCheck).orEarlier(deadline));
      if (!ready) {
        m_result.error = ready.error();
        return std::nullopt;
      }
      if (*ready == net::Readiness::Ready || deadline.expired()) return *ready;
    }
  }

  bool send(net::Bytes message) {
    std::size_t sent = 0;
    Deadline idle = Deadline::after(m_limits.hangTimeout).orEarlier(m_overall);
    // A datagram goes whole or not at all, an empty one too; a stream's bytes as the buffer takes them.
    while (sent < message.size() || (m_datagram && sent == 0 && message.empty())) {
      auto done = net::sendBytes(m_fd, message.subspan(sent));
      if (done) {
        sent += *done;
        m_result.bytesSent += *done;
        if (m_datagram) break;
        idle = Deadline::after(m_limits.hangTimeout).orEarlier(m_overall);
        continue;
      }
      int code = done.error().code;
      if (code == EINTR) continue;
      if (isPeerGone(code)) {
        m_result.end = ConnectionEnd::Reset;
        m_result.error = done.error();
        (void)drain();  // what the server sent before it went
        return false;
      }
      if (code == EMSGSIZE) break;  // a datagram larger than the transport takes: nothing to send
      if (code != EAGAIN && code != EWOULDBLOCK) {
        m_result.end = ConnectionEnd::Reset;
        m_result.error = done.error();
        return false;
      }
      // Full: read while waiting, so that a server answering as it reads is never blocked on us.
      auto ready = wait(POLLIN | POLLOUT, idle);
      if (!ready) return false;
      if (*ready == net::Readiness::TimedOut) {
        m_result.silentFor = m_limits.hangTimeout;
        current().end = ReplyEnd::Awaited;  // it stopped taking bytes
        return false;
      }
      if (!drain()) {
        current().end = ReplyEnd::Closed;
        return false;
      }
    }
    m_sentAt = Clock::now();
    return true;
  }

  // The server is at rest and has run since the message was sent (process_activity.h): it has written all
  // it will for this message, so what it wrote is queued here by now. The first read after the message
  // becomes the next message's baseline.
  bool serverDone() {
    auto activity = m_waits.rest->read();
    if (!activity.atRest) {
      m_ranSinceSent = true;
      return false;
    }
    // Asleep as before the message and not run since: the message has not woken it yet (a wakeup on
    // another CPU is queued there, ttwu_queue_wakelist(), and the thread reads as S until that CPU takes it;
    // or the softirq went to ksoftirqd). A reply byte says it ran too (a greeting written before the
    // baseline was read).
    bool ran = m_ranSinceSent || current().replyBytes != 0 || activity.timeslices != m_restBaseline.timeslices;
    if (!ran) return false;
    m_restBaseline = activity;
    m_baselineFresh = true;
    return true;
  }

  bool awaitReply(bool untilClosed) {
    auto hang = std::chrono::duration_cast<microseconds>(m_limits.hangTimeout);
    bool watchRest = m_waits.rest != nullptr && !untilClosed;
    m_ranSinceSent = false;
    microseconds slice = kFirstSlice;
    for (;;) {
      if (!drain()) {
        current().end = ReplyEnd::Closed;
        return false;
      }
      MessageReply& message = current();
      bool matched = message.replyBytes != 0 &&
                     m_protocol.replyMatches(std::string_view(m_result.reply).substr(
                         std::min(message.replyOffset, m_result.reply.size())));
      if (matched && !untilClosed) {
        message.end = ReplyEnd::Matched;
        return true;
      }
      if (watchRest && serverDone()) {
        // Whatever it wrote before it came to rest is queued now; one more read takes it.
        std::size_t before = message.replyBytes;
        if (!drain()) {
          current().end = ReplyEnd::Closed;
          return false;
        }
        if (message.replyBytes == before) {
          // One reply an audited conversation: the rest of its replies end at rest as any other's.
          if (!m_waits.auditRest || m_auditedOne) {
            message.atRest = true;
            message.end = message.firstByte ? ReplyEnd::Quiet : ReplyEnd::None;
            return true;
          }
          // Audited: wait the learned gap as without rests; a byte in it says the rest was no end.
          message.audited = true;
          m_auditedOne = true;
          m_auditFrom = message.replyBytes;
          watchRest = false;
        }
      }
      Clock::time_point from = message.firstByte ? m_lastByteAt : m_sentAt;
      microseconds allowed = untilClosed ? hang : message.firstByte ? m_waits.quietGap : m_waits.firstByte;
      Deadline until = Deadline::at(from + allowed).orEarlier(m_overall);
      if (watchRest && !until.expired()) {
        if (m_limits.stopped()) {
          m_result.interrupted = true;
          return false;
        }
        auto left = std::chrono::duration_cast<microseconds>(until.when() - Clock::now());
        (void)readableWithin(m_fd, std::min(slice, left));
        slice = std::min(2 * slice, kLongestSlice);
        continue;
      }
      auto ready = wait(POLLIN, until);
      if (!ready) return false;
      if (*ready == net::Readiness::Ready) continue;
      if (message.audited && message.replyBytes != m_auditFrom) message.lateAfterRest = true;
      if (untilClosed) {
        message.end = ReplyEnd::Awaited;
        m_result.silentFor = m_limits.hangTimeout;
      } else {
        message.end = matched ? ReplyEnd::Matched : message.firstByte ? ReplyEnd::Quiet : ReplyEnd::None;
      }
      return !m_overall.expired();
    }
  }

  int m_fd;
  bool m_datagram;
  const FuzzProtocol& m_protocol;
  const ReplyWaits& m_waits;
  const ExchangeLimits& m_limits;
  ExchangeResult& m_result;
  Deadline m_overall;
  Clock::time_point m_sentAt = Clock::now();
  Clock::time_point m_lastByteAt = Clock::now();
  process::Activity m_restBaseline;  // the server's activity before the current message was sent
  bool m_ranSinceSent = false;       // seen not at rest since then
  bool m_baselineFresh = false;      // read since the last message's reply ended (else read before sending)
  std::size_t m_auditFrom = 0;       // the reply's bytes when an audited rest was seen
  bool m_auditedOne = false;         // a reply of this conversation was audited
  std::array<std::uint8_t, 64 * 1024> m_buffer{};
};

}  // namespace

ExchangeResult exchangeConversation(const net::Endpoint& endpoint, const FuzzProtocol& protocol, net::Bytes input,
                                    const ReplyWaits& waits, const ExchangeLimits& limits) {
  ExchangeResult result;
  if (limits.stopped()) {
    result.interrupted = true;
    return result;
  }
  bool datagram = !net::isConnectionOriented(endpoint.transport);
  auto messages = splitConversation(input);
  // A stream's first message that sends nothing waits for a greeting: its baseline is read before the
  // connect, so that the server's accept counts as having run and its rest after it ends the wait (read
  // after the connect, an accept already done would leave the server at rest, never seen to run, and the
  // wait would last the first-byte time). Only then: before a message that sends bytes, the accept alone
  // must not pass for the server's having read them.
  std::optional<process::Activity> beforeConnect;
  if (waits.rest != nullptr && !datagram && messages.front().empty()) beforeConnect = waits.rest->read(true);
  auto connected = net::connectEndpoint(endpoint, Deadline::after(limits.connectTimeout));
  if (!connected) {
    result.connectFailure = connected.error();
    return result;
  }
  Conversation conversation(connected->get(), datagram, protocol, waits, limits, result, beforeConnect);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    bool last = i + 1 == messages.size();
    // An empty message on a stream sends nothing: only the first (a wait for a greeting) and the last (the
    // FIN) mean anything; between them it would only cost a first-byte wait.
    if (!datagram && messages[i].empty() && i != 0 && !last) continue;
    if (!conversation.converse(messages[i], last)) break;
  }
  return result;
}

ExchangeResult exchangeFor(const net::Endpoint& endpoint, const FuzzProtocol& protocol, net::Bytes input,
                           const ReplyWaits& waits, const ExchangeLimits& limits) {
  if (protocol.any()) return exchangeConversation(endpoint, protocol, input, waits, limits);
  return exchangeInput(endpoint, input, limits);
}

}  // namespace sockspec::blackbox
