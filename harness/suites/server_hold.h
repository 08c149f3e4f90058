// What an AF_UNIX echo server holds of ours in its own memory, and whether a read of ours could let it give
// all of that back before it reads our EOF. The half-close check (echo.half-close) needs the server to read
// our EOF while it still owes us data: a server that takes EOF as "done" then drops that data, whichever way
// the scheduler runs the two of us.
//
// Everything is counted from the kernel's side (queued_bytes.h, net/unix_diag.h): the bytes we sent, minus
// what waits unread for the server (SIOCOUTQ), what waits for us (SIOCINQ) and what we read, are in the
// server's hands; and the server can put at most what its send buffer still admits into our queue
// (sock_alloc_send_pskb() blocks once sk_wmem_alloc >= sk_sndbuf, and the last buffer may overshoot by one
// skb: up to SKB_MAX_HEAD(0) + 32 KiB on a stream, unix_stream_sendmsg(); one record on seqpacket).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace sockspec::suites {

struct ServerHold {
  std::uint64_t held = 0;      // in the server's own memory (a lower bound: SIOCOUTQ counts truesize)
  // At most this much more fits into our receive queue now; nullopt where unix_diag is not available.
  std::optional<std::uint64_t> pushable;
  std::uint64_t unread = 0;    // ours, unread by the server (SIOCOUTQ)
  std::uint64_t waiting = 0;   // its, unread by us (SIOCINQ)
};

// The measure for a connected AF_UNIX socket; nullopt where the kernel will not say (the ioctls fail). `records`: unix-seqpacket, where a buffer is one of the server's records.
std::optional<ServerHold> measureServerHold(int fd, bool records, std::uint64_t sent, std::uint64_t received);

// Whether the server holds more than it can give back now: then it still holds data when it next reads,
// whatever it sends first. False when that cannot be known.
bool holdsBeyondReach(const ServerHold& hold);

// Lets the half-close check's reader read only while a read cannot let the server empty its own queue: the
// server holds more than it could send into the room the read makes. Otherwise the reader holds back until
// the server hangs up (having read our EOF: now read the rest), or nothing changed for `quiet` (a correct
// server waits for us to read), or the kernel cannot say (no unix_diag); from then on it reads freely.
class HoldingReadGate {
 public:
  HoldingReadGate(bool records, std::uint64_t readChunk, std::chrono::milliseconds quiet)
      : m_records(records), m_readChunk(readChunk), m_quiet(quiet) {}

  // `hungUp`: poll(2) reported POLLRDHUP or POLLHUP on the socket.
  bool mayRead(int fd, std::uint64_t sent, std::uint64_t received, bool hungUp);
  bool released() const { return m_released; }

 private:
  bool m_records;
  std::uint64_t m_readChunk;
  std::chrono::milliseconds m_quiet;
  bool m_released = false;
  std::optional<ServerHold> m_last;
  std::chrono::steady_clock::time_point m_lastChange = std::chrono::steady_clock::now();
};

}  // namespace sockspec::suites
