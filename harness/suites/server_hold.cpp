#include "suites/server_hold.h"

#include <sys/socket.h>

#include <algorithm>

#include "net/unix_diag.h"
#include "suites/queued_bytes.h"

namespace sockspec::suites {

namespace {

// One stream skb at most: SKB_MAX_HEAD(0) (under 4 KiB) plus UNIX_SKB_FRAGS_SZ (32 KiB) of data
// (unix_stream_sendmsg()), counted with its overhead (truesize), rounded up.
constexpr std::uint64_t kStreamBufferMax = 48 * 1024;
// A record's truesize beyond its bytes: the skb head and the last page's rounding.
constexpr std::uint64_t kRecordOverhead = 8 * 1024;
// The records the half-close check sends (EchoExchangeOptions::sendChunk): an echo server's are no larger
// until one waiting for us says otherwise.
constexpr std::uint64_t kOurRecord = 64 * 1024;

// The length of the record waiting at the head of our queue (MSG_PEEK | MSG_TRUNC gives a seqpacket
// record's full length, unix_dgram_recvmsg()); 0 when none waits.
std::uint64_t nextRecordLength(int fd) {
  char byte = 0;
  ssize_t length = ::recv(fd, &byte, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
  return length > 0 ? static_cast<std::uint64_t>(length) : 0;
}

// The largest buffer the server may still add to our queue in one go, given the record waiting for us.
std::uint64_t serverBufferMax(bool records, std::uint64_t nextRecord) {
  if (!records) return kStreamBufferMax;
  return std::max(kOurRecord, nextRecord) + kRecordOverhead;
}

}  // namespace

std::optional<ServerHold> measureServerHold(int fd, bool records, std::uint64_t sent, std::uint64_t received) {
  auto unread = unixBytesUnreadByPeer(fd);
  auto waiting = bytesWaitingForUs(fd);
  if (!unread || !waiting) return std::nullopt;
  ServerHold hold;
  hold.unread = *unread;
  hold.waiting = *waiting;
  std::uint64_t elsewhere = *unread + *waiting + received;
  hold.held = sent > elsewhere ? sent - elsewhere : 0;
  if (auto memory = net::unixPeerSendMemory(fd)) {
    std::uint64_t bufferMax = serverBufferMax(records, records ? nextRecordLength(fd) : 0);
    hold.pushable = memory->queued < memory->limit ? memory->limit - memory->queued + bufferMax : 0;
  }
  return hold;
}

bool holdsBeyondReach(const ServerHold& hold) { return hold.pushable && hold.held > *hold.pushable; }

bool HoldingReadGate::mayRead(int fd, std::uint64_t sent, std::uint64_t received, bool hungUp) {
  if (m_released) return true;
  auto now = std::chrono::steady_clock::now();
  auto hold = hungUp ? std::nullopt : measureServerHold(fd, m_records, sent, received);
  if (!hold || !hold->pushable) {
    m_released = true;
    return true;
  }
  // What our next read frees in the server's send buffer: on seqpacket the record it takes; on a stream our
  // chunk plus one whole skb, whose last byte the chunk may be the one to consume (the kernel frees an skb
  // only once it is read to the end).
  std::uint64_t nextRecord = m_records ? nextRecordLength(fd) : 0;  // one peek serves both uses below
  std::uint64_t freed = m_records ? nextRecord + kRecordOverhead : m_readChunk + kStreamBufferMax;
  // Were it blocked (nothing pushable), the room the read makes admits one more buffer beyond it.
  std::uint64_t pushable = *hold->pushable;
  std::uint64_t reachAfterRead = pushable + freed + (pushable == 0 ? serverBufferMax(m_records, nextRecord) : 0);
  if (hold->waiting > 0 && hold->held > reachAfterRead) {
    m_last = hold;
    m_lastChange = now;
    return true;
  }
  bool changed = !m_last || m_last->held != hold->held || m_last->unread != hold->unread ||
                 m_last->waiting != hold->waiting || m_last->pushable != hold->pushable;
  if (changed) {
    m_last = hold;
    m_lastChange = now;
  } else if (now - m_lastChange >= m_quiet) {
    m_released = true;
    return true;
  }
  return false;
}

}  // namespace sockspec::suites
