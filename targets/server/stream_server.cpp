#include "stream_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <ctime>

#include "byte_trigger.h"
#include "chargen_pattern.h"
#include "daytime_text.h"

namespace sockspec::server {

namespace {

// Replies queued beyond this stop the server reading from that client until the client reads: flow control
// instead of unbounded memory when a client sends without reading (send(2): the kernel buffer is bounded).
constexpr std::size_t kOwedHighWatermark = 256 * 1024;
// Fairness: one connection gets at most this many reads or sends per wake-up before the others' turn.
constexpr int kOperationsPerWakeup = 16;
// Connections accepted per listener wake-up.
constexpr int kAcceptsPerWakeup = 128;
// The tutorial's recv buffer, used by the one-recv and truncate-dgram faults.
constexpr std::size_t kFaultyReadSize = 1024;
// The shared read buffer: larger than any SOCK_SEQPACKET record the default wmem allows (~208 KiB).
constexpr std::size_t kReadBufferSize = 256 * 1024;

bool isPeerGone(int code) { return code == ECONNRESET || code == EPIPE || code == ETIMEDOUT; }

std::span<const std::uint8_t> asUnsigned(std::string_view bytes) {
  return {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()};
}

}  // namespace

Result<std::unique_ptr<StreamServer>> StreamServer::create(net::BoundSocket listener, const ServerConfig& config,
                                                           net::EpollSet& epoll, ServerCounters& counters) {
  std::unique_ptr<StreamServer> server(new StreamServer(std::move(listener), config, epoll, counters));
  if (auto added = epoll.add(server->m_listener.fd.get(), EPOLLIN, kListenerTag); !added) {
    return Unexpected{added.error()};
  }
  return server;
}

StreamServer::StreamServer(net::BoundSocket listener, const ServerConfig& config, net::EpollSet& epoll,
                           ServerCounters& counters)
    : m_listener(std::move(listener)),
      m_config(config),
      m_epoll(epoll),
      m_counters(counters),
      m_seqpacket(config.listen.transport == net::Transport::UnixSeqpacket),
      m_readBuffer(kReadBufferSize),
      m_spareFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)) {}

void StreamServer::onEvent(std::uint64_t tag, std::uint32_t events) {
  if (tag == kListenerTag) {
    acceptReady();
    return;
  }
  if (tag >= m_connections.size() || !m_connections[tag]) return;  // closed earlier in this batch
  connectionReady(*m_connections[tag], events);
}

void StreamServer::acceptReady() {
  for (int i = 0; i < kAcceptsPerWakeup && m_listener.fd; ++i) {
    if (m_config.maxConnections != 0 && m_open >= m_config.maxConnections) {
      pauseListener(true);
      return;
    }
    auto accepted = net::acceptConnection(m_listener.fd.get(), net::Blocking::No);
    if (accepted) {
      ++m_counters.accepted;
      startConnection(std::move(accepted->fd));
      if (m_config.fault == Fault::CloseListenerFirst) {
        closeListener();  // the fault: connections still in the accept queue are reset
        return;
      }
      continue;
    }
    int code = accepted.error().code;
    if (code == EAGAIN || code == EWOULDBLOCK) return;
    if (code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM) {
      // Out of descriptors: accept the connection with the spare one and close it, so that the client
      // learns at once (a FIN) rather than waiting in a queue the server cannot drain.
      ++m_counters.acceptFailures;
      m_spareFd.reset();
      net::UniqueFd shed(::accept4(m_listener.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
      shed.reset();
      m_spareFd.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
      return;
    }
    // ECONNABORTED, EPROTO, ...: that one connection failed before we took it; the listener is fine.
    // accept(2): "Linux accept() passes already-pending network errors on the new socket as an error code".
  }
}

void StreamServer::startConnection(net::UniqueFd fd) {
  auto index = static_cast<std::size_t>(fd.get());
  if (index >= m_connections.size()) m_connections.resize(index + 1 + index / 2);
  if (m_config.tcpNoDelay && !m_config.listen.isUnix()) {
    // Best effort: a connection without it is slower, not wrong (server_config.h).
    (void)net::setIntOption(fd.get(), IPPROTO_TCP, TCP_NODELAY, 1);
  }
  if (m_config.sendBuffer > 0) {
    // Best effort too: only the buffering changes, and setsockopt(SO_SNDBUF) takes any positive size.
    (void)net::setIntOption(fd.get(), SOL_SOCKET, SO_SNDBUF, m_config.sendBuffer);
  }
  auto connection = std::make_unique<StreamConnection>();
  connection->fd = std::move(fd);
  if (m_config.service == Service::Framed) {
    connection->framed = std::make_unique<proto::FramedSession>(m_config.maxPayload);
  }
  StreamConnection& added = *connection;
  m_connections[index] = std::move(connection);
  ++m_open;
  std::uint32_t events = EPOLLIN | (m_config.fault == Fault::RstOnClose ? EPOLLRDHUP : 0u);
  if (auto registered = m_epoll.add(added.fd.get(), events, index); !registered) {
    closeConnection(added);
    return;
  }
  added.interest = events;
  if (m_config.service == Service::Daytime) {
    added.finishing = true;
    if (!sendOrQueue(added, daytimeText(std::time(nullptr)))) return;
    if (m_config.fault == Fault::CloseWithoutReading) {
      // The fault: close(2) at once, the client's input (if it came first) unread, so the kernel sends RST
      // instead of FIN (tcp_close(): data_was_unread; RFC 2525 2.17); on AF_UNIX the client gets ECONNRESET
      // (unix_release_sock()). The line itself always went: a fresh socket's buffer takes a few dozen bytes.
      closeConnection(added);
      return;
    }
    (void)settle(added);
    return;
  }
  if (m_config.service == Service::Chargen) updateInterest(added);
}

void StreamServer::connectionReady(StreamConnection& connection, std::uint32_t events) {
  if (connection.frozen) return;  // hang-on-bytes: left alone until the server stops
  if (m_config.fault == Fault::RstOnClose && (events & EPOLLRDHUP) != 0) {
    // The fault: the client's FIN is seen and the connection closed without reading what came before it.
    // close(2) with unread data sends RST, not FIN (tcp_close(): data_was_unread; RFC 2525 2.17).
    closeConnection(connection);
    return;
  }
  if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) {
    if (!readReady(connection)) return;
  }
  if ((events & EPOLLOUT) != 0) {
    if (!flush(connection)) return;
    if (m_config.service == Service::Chargen && !connection.writeShut && connection.owed.empty()) {
      if (!generateChargen(connection)) return;
    }
  }
  (void)settle(connection);
}

bool StreamServer::readReady(StreamConnection& connection) {
  bool oneRecv = m_config.fault == Fault::OneRecv;
  bool smallRecords = m_config.fault == Fault::TruncateDgram && m_seqpacket;
  std::size_t readSize = (oneRecv || smallRecords) ? kFaultyReadSize : m_readBuffer.size();
  for (int i = 0; i < kOperationsPerWakeup && !connection.peerFinished; ++i) {
    auto* data = reinterpret_cast<std::uint8_t*>(m_readBuffer.data());
    auto received = net::recvBytes(connection.fd.get(), net::MutableBytes(data, readSize));
    if (!received) {
      int code = received.error().code;
      if (code == EAGAIN || code == EWOULDBLOCK) break;
      if (isPeerGone(code)) ++m_counters.resets;
      closeConnection(connection);
      return false;
    }
    if (*received == 0) {
      connection.peerFinished = true;
      break;
    }
    m_counters.bytesIn += *received;
    std::string_view bytes(m_readBuffer.data(), *received);
    if (!serveOrTrip(connection, bytes)) return false;
    if (oneRecv) {
      // The fault: whatever one recv returned is the whole request; answer it and hang up.
      closeConnection(connection);
      return false;
    }
    // A short read on a stream means the queue is (very likely) empty: skip the recv that would only say
    // EAGAIN. Level-triggered epoll reports any byte that arrives after.
    if (!m_seqpacket && *received < readSize) break;
    if (connection.owed.bytes() > kOwedHighWatermark) break;
  }
  if (connection.peerFinished && m_config.fault == Fault::NoHalfClose) {
    // The fault: EOF taken to mean the connection is over; replies still owed are dropped.
    closeConnection(connection);
    return false;
  }
  return true;
}

bool StreamServer::serveOrTrip(StreamConnection& connection, std::string_view bytes) {
  if (m_config.fault == Fault::CrashOnBytes && findTrigger(kCrashTrigger, connection.previousByte, bytes)) {
    std::abort();  // the fault: a crash for the black-box fuzzer to find (SIGABRT)
  }
  if (m_config.fault == Fault::HangOnBytes) {
    if (auto at = findTrigger(kHangTrigger, connection.previousByte, bytes)) {
      // The fault: what came before the pair is served, then the connection is neither read, answered nor
      // closed again. It leaves the epoll set entirely: epoll reports EPOLLHUP even when not asked for
      // (epoll_ctl(2)), which would wake a level-triggered loop forever once the client closes.
      auto before = static_cast<std::size_t>(std::max<std::ptrdiff_t>(*at, 0));
      if (!consume(connection, bytes.substr(0, before))) return false;
      (void)m_epoll.remove(connection.fd.get());
      connection.interest = 0;
      connection.frozen = true;
      return false;
    }
  }
  if (!bytes.empty()) connection.previousByte = static_cast<std::uint8_t>(bytes.back());
  return consume(connection, bytes);
}

bool StreamServer::consume(StreamConnection& connection, std::string_view bytes) {
  switch (m_config.service) {
    case Service::Echo:
      return sendOrQueue(connection, bytes);
    case Service::Framed: {
      if (!connection.framed) return true;
      m_framedReplies.clear();
      auto state = connection.framed->onBytes(asUnsigned(bytes), m_framedReplies);
      if (state == proto::SessionState::Closing) connection.finishing = true;
      // sendOrQueue copies what the kernel does not take, so the buffer is free again when it returns.
      return sendOrQueue(connection, std::string_view(reinterpret_cast<const char*>(m_framedReplies.data()),
                                                      m_framedReplies.size()));
    }
    case Service::Discard:
    case Service::Chargen:  // RFC 864: "Any data received is thrown away"
    case Service::Daytime:  // RFC 867: "Any data received is thrown away"
      return true;
  }
  return true;
}

bool StreamServer::sendOrQueue(StreamConnection& connection, std::string_view bytes) {
  if (bytes.empty()) return true;
  if (!connection.owed.empty()) {
    queue(connection, bytes);  // keep the order: older replies go first
    return true;
  }
  auto sent = sendWithoutBlocking(connection, bytes);
  if (!sent) return false;
  // send(2) may take only part (the socket buffer is bounded, or full: EAGAIN); the rest waits for EPOLLOUT.
  if (*sent < bytes.size()) queue(connection, bytes.substr(*sent));
  return true;
}

void StreamServer::queue(StreamConnection& connection, std::string_view bytes) {
  if (m_seqpacket) {
    connection.owed.appendRecord(bytes);  // a reply is one record (send(2) takes it whole or not at all)
  } else {
    connection.owed.appendStream(bytes);
  }
}

std::optional<std::size_t> StreamServer::sendWithoutBlocking(StreamConnection& connection,
                                                             std::string_view bytes) {
  auto sent = net::sendBytes(connection.fd.get(), net::asBytes(bytes));
  if (!sent) {
    int code = sent.error().code;
    if (code == EAGAIN || code == EWOULDBLOCK) return 0;
    if (isPeerGone(code)) ++m_counters.resets;
    closeConnection(connection);
    return std::nullopt;
  }
  m_counters.bytesOut += *sent;
  return *sent;
}

bool StreamServer::flush(StreamConnection& connection) {
  for (int i = 0; i < kOperationsPerWakeup && !connection.owed.empty(); ++i) {
    std::string_view chunk = connection.owed.front();
    auto sent = sendWithoutBlocking(connection, chunk);
    if (!sent) return false;
    connection.owed.consume(*sent);
    if (*sent < chunk.size()) return true;  // the socket buffer is full
  }
  return true;
}

bool StreamServer::generateChargen(StreamConnection& connection) {
  for (int i = 0; i < kOperationsPerWakeup; ++i) {
    std::string_view slice = chargenBytes(connection.chargenPosition, 64 * 1024);
    auto sent = sendWithoutBlocking(connection, slice);
    if (!sent) return false;
    connection.chargenPosition += *sent;
    if (*sent < slice.size()) return true;
  }
  return true;
}

// After any event: close a finished connection, shut down writing when the service is done, and register
// the events the connection now waits for.
bool StreamServer::settle(StreamConnection& connection) {
  if (connection.owed.empty()) {
    if (connection.peerFinished) {
      // Everything the client sent was read (EOF) and everything owed was sent: close(2) sends FIN.
      closeConnection(connection);
      return false;
    }
    if (connection.finishing && !connection.writeShut) {
      // Our last word is out: FIN now, then keep reading until the client's EOF so that close() never
      // finds unread data (which would turn the FIN into an RST and could destroy our reply in flight).
      auto shut = net::shutdownSocket(connection.fd.get(), SHUT_WR);
      if (!shut) {
        closeConnection(connection);
        return false;
      }
      connection.writeShut = true;
    }
  }
  updateInterest(connection);
  return true;
}

void StreamServer::updateInterest(StreamConnection& connection) {
  bool wantRead = !connection.peerFinished && connection.owed.bytes() <= kOwedHighWatermark;
  bool wantWrite = !connection.owed.empty() || (m_config.service == Service::Chargen && !connection.writeShut);
  std::uint32_t events = (wantRead ? EPOLLIN : 0u) | (wantWrite ? EPOLLOUT : 0u) |
                         (m_config.fault == Fault::RstOnClose ? EPOLLRDHUP : 0u);
  if (events == connection.interest) return;
  if (auto changed = m_epoll.modify(connection.fd.get(), events, static_cast<std::uint64_t>(connection.fd.get()));
      !changed) {
    closeConnection(connection);
    return;
  }
  connection.interest = events;
}

void StreamServer::closeConnection(StreamConnection& connection) {
  auto index = static_cast<std::size_t>(connection.fd.get());
  if (m_config.fault == Fault::LeakFd) {
    // The fault: shutdown(2) sends the FIN that close(2) would (never an RST, even with data unread), but
    // the descriptor is forgotten rather than closed. Out of the epoll set first: an open socket stays in it.
    (void)m_epoll.remove(connection.fd.get());
    (void)net::shutdownSocket(connection.fd.get(), SHUT_RDWR);
    (void)connection.fd.release();
  } else {
    // close(2) removes the fd from the epoll set; an explicit remove would only cost a syscall.
    (void)net::closeSocket(connection.fd);
  }
  ++m_counters.closed;
  --m_open;
  m_connections[index].reset();  // destroys `connection`
  if (m_listenerPaused) pauseListener(false);
}

void StreamServer::pauseListener(bool paused) {
  if (!m_listener.fd || paused == m_listenerPaused) return;
  if (m_epoll.modify(m_listener.fd.get(), paused ? 0u : EPOLLIN, kListenerTag)) m_listenerPaused = paused;
}

void StreamServer::closeListener() {
  if (!m_listener.fd) return;
  (void)net::closeSocket(m_listener.fd);
  m_listener = net::BoundSocket{};  // also removes a unix socket's path
}

void StreamServer::closeAll() {
  for (auto& slot : m_connections) {
    if (slot) closeConnection(*slot);
  }
  closeListener();
}

}  // namespace sockspec::server
