#include "stream_exchange.h"

#include <algorithm>
#include <array>
#include <cerrno>

namespace sockspec::client {

namespace {

// Not failures of a non-blocking socket: try again on the next readiness.
bool isTransient(int code) {
  return code == EAGAIN || code == EWOULDBLOCK || code == EINTR;
}

// Calls in a row per wake-up while the socket keeps taking (or giving) everything offered: small chunks
// and one-byte reads then cost one epoll_wait per burst instead of one each. Bounded, so that reading and
// sending still take turns.
constexpr int kBurst = 64;

}  // namespace

Result<StreamExchange> StreamExchange::create(int fd, StreamSettings settings, Deadline deadline) {
  auto epoll = net::EpollSet::create();
  if (!epoll) return Unexpected{epoll.error()};
  // Registered with no events: epoll still reports EPOLLERR and EPOLLHUP (epoll_ctl(2)).
  if (auto added = epoll->add(fd, 0, 0); !added) return Unexpected{added.error()};
  return StreamExchange(fd, std::move(*epoll), std::move(settings), deadline);
}

StreamExchange::StreamExchange(int fd, net::EpollSet epoll, StreamSettings settings, Deadline deadline)
    : m_fd(fd),
      m_epoll(std::move(epoll)),
      m_settings(std::move(settings)),
      m_deadline(deadline),
      m_readBuffer(std::max<std::size_t>(m_settings.readSize, 1)) {}

void StreamExchange::queue(net::Bytes bytes) {
  if (sendDone()) {
    m_pending.clear();
    m_offset = 0;
    m_chunkIndex = 0;
    m_chunkLeft = m_settings.chunks.sizeOf(0);
  }
  m_pending.insert(m_pending.end(), bytes.begin(), bytes.end());
}

Result<void> StreamExchange::watch(std::uint32_t events) {
  if (events == m_watching) return {};
  if (auto changed = m_epoll.modify(m_fd, events, 0); !changed) return changed;
  m_watching = events;
  return {};
}

Result<StreamExchange::Stop> StreamExchange::run(const std::function<bool()>& done,
                                                 const ByteHandler& onBytes) {
  // Bounded: every pass either moves bytes, ends the run, or waits toward the deadline.
  for (;;) {
    if (done()) return Stop::Done;
    if (m_peerClosed) return Stop::PeerClosed;
    if (m_deadline.expired()) return Stop::TimedOut;

    const bool pausing = Deadline::Clock::now() < m_pauseUntil;
    std::uint32_t interest = 0;
    if (m_readBudget > 0) interest |= EPOLLIN;
    if (!sendDone() && !pausing) interest |= EPOLLOUT;
    if (auto watched = watch(interest); !watched) return Unexpected{watched.error()};

    const Deadline wakeAt = pausing ? m_deadline.orEarlier(Deadline::at(m_pauseUntil)) : m_deadline;
    std::array<epoll_event, 1> events{};
    auto woken = m_epoll.wait(events, wakeAt.pollTimeoutMs());
    if (!woken) return Unexpected{woken.error()};
    if (*woken == 0) continue;  // the pause ended, the deadline passed, or a signal: looked at above

    const std::uint32_t ready = events[0].events;
    bool acted = false;
    if ((interest & EPOLLIN) != 0 && (ready & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) {
      auto turn = receiveBurst(onBytes);
      if (!turn) return Unexpected{turn.error()};
      if (*turn == Turn::Rejected) return Stop::Rejected;
      acted = true;
    }
    if ((interest & EPOLLOUT) != 0 && !sendDone() && (ready & (EPOLLOUT | EPOLLERR)) != 0) {
      if (auto sent = sendBurst(); !sent) return Unexpected{sent.error()};
      acted = true;
    }
    if (!acted && (ready & (EPOLLERR | EPOLLHUP)) != 0) {
      // Nothing asked for can happen any more. An error is in SO_ERROR; a bare hang-up means both
      // directions are shut (poll(2) POLLHUP), which for this loop is the peer having closed.
      auto pending = net::pendingError(m_fd);
      if (!pending) return Unexpected{pending.error()};
      if (*pending != 0) return failWith(*pending, "SO_ERROR");
      m_peerClosed = true;
    }
  }
}

Result<StreamExchange::Turn> StreamExchange::receiveBurst(const ByteHandler& onBytes) {
  for (int turn = 0; turn < kBurst && m_readBudget > 0; ++turn) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(m_readBuffer.size(), m_readBudget));
    auto received = receiveSome(want);
    if (!received) {
      if (isTransient(received.error().code)) return Turn::Drained;
      return Unexpected{received.error()};
    }
    if (*received == 0) {
      // recv(2): 0 is an orderly shutdown by the peer (for seqpacket too: SOCKET-FACTS).
      m_peerClosed = true;
      return Turn::Drained;
    }
    m_bytesReceived += *received;
    m_readBudget -= *received;
    if (!onBytes(net::Bytes(m_readBuffer.data(), *received))) return Turn::Rejected;
    // A short read means the receive queue is empty now; trying again would only see EAGAIN.
    if (*received < want) return Turn::Drained;
  }
  return Turn::Drained;
}

Result<std::size_t> StreamExchange::receiveSome(std::size_t want) {
  const net::MutableBytes buffer(m_readBuffer.data(), want);
  if (!m_settings.keepsRecords) return net::recvBytes(m_fd, buffer);
  // MSG_TRUNC in: the return value is the record's real length even when it did not fit (recv(2)).
  auto received = net::recvMessageInto(m_fd, buffer, MSG_TRUNC);
  if (!received) return Unexpected{received.error()};
  if (received->size > want && want == m_readBuffer.size()) return failWith(EMSGSIZE, "recvmsg");
  return std::min(received->size, want);
}

Result<void> StreamExchange::sendBurst() {
  for (int turn = 0; turn < kBurst && !sendDone(); ++turn) {
    const std::size_t offer = std::min(m_chunkLeft, m_pending.size() - m_offset);
    auto sent = net::sendBytes(m_fd, net::Bytes(m_pending.data() + m_offset, offer));
    if (!sent) {
      if (isTransient(sent.error().code)) return {};
      if (!m_keepReadingAfterSendFailure) return Unexpected{sent.error()};
      m_sendFailure = sent.error();
      m_offset = m_pending.size();  // dropped: nothing more can be sent on this connection
      return {};
    }
    m_offset += *sent;
    m_bytesSent += *sent;
    m_chunkLeft -= *sent;
    if (*sent < offer) return {};  // the send buffer is full: wait for EPOLLOUT
    if (m_chunkLeft == 0) {
      m_chunkLeft = m_settings.chunks.sizeOf(++m_chunkIndex);
      if (m_settings.delay.count() > 0 && !sendDone()) {
        m_pauseUntil = Deadline::Clock::now() + m_settings.delay;
        return {};
      }
    }
  }
  return {};
}

}  // namespace sockspec::client
