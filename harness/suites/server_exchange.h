// What the server profile's checks share: finding the user's replies in a byte stream, one request and its
// reply on a connection, and the kernel's view of the connection's other end (net/socket_diag.h), so that
// a check can wait until the server has really read what was sent before it sends the rest.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/socket_diag.h"
#include "pattern/byte_pattern.h"
#include "suites/service_check.h"
#include "suites/stream_client.h"

namespace sockspec::suites::server {

// A single reply longer than this is not looked for: a server that sends a megabyte that never matches is
// reported as sending something else, and the search stays bounded (each prefix is tried once).
inline constexpr std::size_t kMaxReplyBytes = 16 * 1024;

// Replies found at the start of some bytes: each reply is the shortest prefix the pattern matches, then the
// next starts where it ended. A pattern should describe one whole reply (`^\+PONG\r\n$`); a bare prefix
// pattern counts the first bytes of each reply, and the rest is taken for the start of the next.
struct ReplyScanner {
  explicit ReplyScanner(const pattern::BytePattern& reply) : m_reply(&reply) {}
  // Scans `bytes` (everything received so far, the same buffer growing) from where it stopped last time.
  // Returns the replies counted so far.
  std::size_t scan(std::string_view bytes);
  std::size_t replies() const { return m_replies; }
  std::size_t consumed() const { return m_consumed; }
  // A reply that has grown past kMaxReplyBytes without matching: the server answers something else.
  bool unmatchable(std::string_view bytes) const { return bytes.size() - m_consumed > kMaxReplyBytes; }

 private:
  const pattern::BytePattern* m_reply;
  std::size_t m_replies = 0;
  std::size_t m_consumed = 0;  // bytes taken by the replies counted
  std::size_t m_tried = 0;     // prefix lengths of the current reply already tried
};

struct ReplyWait {
  std::size_t replies = 0;
  std::vector<std::uint8_t> received;
  StreamEnd end;  // Complete: all the replies wanted came
};

// Reads until `want` replies have come, the stream ends, the server sends more than kMaxReplyBytes that
// match nothing (end Complete, replies short), or the deadline.
ReplyWait readReplies(StreamClient& client, const pattern::BytePattern& reply, std::size_t want,
                      Deadline deadline);

// "expected 16 replies (matches "^\\+PONG\\r\\n$"), got 1 (7 bytes) "+PONG\r\n" before EOF"; "expected a
// reply
// (...), got no reply within 5000 ms"; for one reply "expected a reply (...), got 5 bytes "-ERR\r" ...".
std::string describeReplies(const CheckContext& context, std::size_t want, const ReplyWait& wait);

// The request bytes `count` times over.
std::vector<std::uint8_t> repeatedRequest(const CheckContext& context, std::size_t count);

// Connects a client; the error says so ("connect to tcp://...: ECONNREFUSED ...").
Expected<StreamClient, std::string> connectClient(const CheckContext& context,
                                                  const ConnectOptions& options = {});

// Sends the request once and reads one reply; the problem, if any.
std::optional<std::string> requestOnce(const CheckContext& context, StreamClient& client);

// The kernel's record of the server's end of our connection (local and remote swapped), when the server is
// in this network namespace; nullopt otherwise.
std::optional<net::TcpSocketInfo> serverEndOf(const StreamClient& client,
                                              net::TcpDiagDetail detail = net::TcpDiagDetail::Basic);
// The kernel's record of a connection's end by its addresses, also once closed (TIME-WAIT, FIN-WAIT-2),
// among the states of `stateMask` (fewer states: a shorter dump when thousands sit in TIME-WAIT).
std::optional<net::TcpSocketInfo> findConnection(const net::SockAddr& local, const net::SockAddr& remote,
                                                 std::uint32_t stateMask = net::kAllTcpStates,
                                                 net::TcpDiagDetail detail = net::TcpDiagDetail::Basic);

// Waits until the server's end of the connection has received `sent` bytes (tcp_info's bytes_received)
// and its process has read them all (an empty receive queue), so that what is sent next arrives as a
// separate read. Returns false when that cannot be known (the server's end is not visible here) or did not
// happen within `limit`.
bool waitUntilServerRead(const StreamClient& client, std::uint64_t sent, Deadline limit);

// The listening sockets the target is served by (its port; its address or the wildcard, over IPv4 or
// IPv6), seen in this network namespace.
std::vector<net::TcpSocketInfo> findListeners(const net::Endpoint& target);

// Paces a series of connections to a server slow to accept: waits (up to `limit`) until the listener's
// accept queue has room below its backlog, so that the next SYN is not dropped (a dropped SYN costs the
// client a second of retransmission). Returns at once when the listener is not visible here.
void waitForAcceptQueueRoom(const net::Endpoint& target, Deadline limit);

}  // namespace sockspec::suites::server
