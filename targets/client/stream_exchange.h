// StreamExchange: the one poll loop of sockspec-client over a connected, non-blocking stream (or seqpacket)
// socket. It sends what is queued, cut into chunks by a ChunkPlan with an optional pause between chunks,
// and reads at the same time. Reading while sending is what lets a megabyte through an echo server: with
// send-then-read, both sides' buffers fill and both wait forever (SOCKET-FACTS: the sender queued ~3.9 MB,
// then EAGAIN). send(2) may take fewer bytes than offered; the rest stays queued for the next turn.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <vector>

#include "base/deadline.h"
#include "base/sys_error.h"
#include "chunk_plan.h"
#include "net/epoll_set.h"
#include "net/socket_ops.h"

namespace sockspec::client {

struct StreamSettings {
  ChunkPlan chunks;
  std::chrono::milliseconds delay{0};  // pause after each chunk that is not the last
  std::size_t readSize = 65536;        // the buffer offered to each recv(2)
  // unix-seqpacket: each recv returns one record and drops what does not fit (unix(7)), so a record
  // longer than the buffer is an error (EMSGSIZE from "recvmsg") instead of silently lost bytes.
  bool keepsRecords = false;
};

class StreamExchange {
 public:
  enum class Stop {
    Done,        // the caller's condition holds
    Rejected,    // the byte handler returned false; it knows why
    PeerClosed,  // recv returned 0 (or the connection hung up) before the condition held
    TimedOut,    // the deadline passed first
  };
  // Gets each run of received bytes; returns false to end the exchange (a mismatch, a malformed frame).
  using ByteHandler = std::function<bool(net::Bytes)>;

  // Watches `fd` (which the caller keeps owning) with its own epoll set. Fails only if epoll does.
  static Result<StreamExchange> create(int fd, StreamSettings settings, Deadline deadline);

  // Queues bytes to send. If nothing was pending, the chunk plan starts again at its first size, so each
  // message (a framed request) is cut the same way.
  void queue(net::Bytes bytes);

  // On seqpacket, grows the receive buffer so that a record of `bytes` fits (framed: one whole frame);
  // on a byte stream --read-size stays as given.
  void fitRecordsOf(std::size_t bytes) {
    if (m_settings.keepsRecords && m_readBuffer.size() < bytes) m_readBuffer.resize(bytes);
  }

  // Reads at most this many more bytes, ever (chargen stops at exactly --max-bytes). On seqpacket the
  // record that crosses the limit is cut there, which is what the limit asks for.
  void limitReading(std::uint64_t bytes) { m_readBudget = bytes; }

  // By default a failed send ends run() with its error. After this, a send failure drops what is still
  // queued and run() goes on reading: a server that answers garbage with an ERROR frame and closes may
  // well reset the rest of our sending, and what it said before is still to be read.
  void keepReadingAfterSendFailure() { m_keepReadingAfterSendFailure = true; }

  // Sends and reads until `done()` holds, the peer closes, the handler refuses, or the deadline passes.
  // `done` is checked before every wait. Errors from send/recv (ECONNRESET, EPIPE) come back as is.
  Result<Stop> run(const std::function<bool()>& done, const ByteHandler& onBytes);

  bool sendDone() const { return m_offset == m_pending.size(); }
  bool peerClosed() const { return m_peerClosed; }
  std::uint64_t bytesSent() const { return m_bytesSent; }
  std::uint64_t bytesReceived() const { return m_bytesReceived; }
  // The send failure that keepReadingAfterSendFailure() set aside, if any.
  const std::optional<SysError>& sendFailure() const { return m_sendFailure; }

 private:
  StreamExchange(int fd, net::EpollSet epoll, StreamSettings settings, Deadline deadline);
  Result<void> watch(std::uint32_t events);
  enum class Turn { Drained, Rejected };
  // Up to a few recv (send) calls in a row, until the socket has nothing more to give (take).
  Result<Turn> receiveBurst(const ByteHandler& onBytes);
  Result<void> sendBurst();
  Result<std::size_t> receiveSome(std::size_t want);

  int m_fd;
  net::EpollSet m_epoll;
  StreamSettings m_settings;
  Deadline m_deadline;
  std::vector<std::uint8_t> m_readBuffer;
  std::uint32_t m_watching = 0;

  std::vector<std::uint8_t> m_pending;  // queued bytes; [0, m_offset) are sent
  std::size_t m_offset = 0;
  std::size_t m_chunkIndex = 0;
  std::size_t m_chunkLeft = 0;  // bytes of the current chunk not yet sent
  Deadline::Clock::time_point m_pauseUntil{};
  bool m_keepReadingAfterSendFailure = false;
  std::optional<SysError> m_sendFailure;

  std::uint64_t m_readBudget = std::numeric_limits<std::uint64_t>::max();
  bool m_peerClosed = false;
  std::uint64_t m_bytesSent = 0;
  std::uint64_t m_bytesReceived = 0;
};

}  // namespace sockspec::client
