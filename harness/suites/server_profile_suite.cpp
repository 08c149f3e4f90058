// The server profile (docs/server-profile.md): any TCP or UDP server, given one request and what its reply
// must match, checked for the mistakes real servers make, in four families (lifecycle, buffering,
// backlog, close order) and for leaks (hygiene). The table of its checks, in the order they run; liveness
// comes last, after everything that could have broken the server.
#include <array>

#include "suites/server_checks.h"
#include "suites/suite_tables.h"

namespace sockspec::suites {

namespace {

using namespace server;

constexpr std::string_view kStream = "tcp(7): a stream has no message boundaries";
constexpr std::string_view kListen = "listen(2); tcp_conn_request(), sk_acceptq_is_full() (Linux)";
constexpr std::string_view kClose = "RFC 793 3.5; RFC 2525 2.17 (close with unread data sends RST)";
constexpr std::string_view kUdpSource = "RFC 768; udp(7); recv(2)";
constexpr std::string_view kProc = "proc(5): /proc/PID/fd, /proc/PID/statm, /proc/net/tcp";

constexpr std::array kServerChecks{
    // lifecycle
    ServiceCheck{"server.silent-client",
                 "a client that connects and closes without a word does not hurt the next", "RFC 793 3.5",
                 kTcp, silentClient},
    ServiceCheck{"server.reset-mid-request",
                 "a client that resets (SO_LINGER 0) mid-request does not hurt the next",
                 "RFC 793 3.4; socket(7) SO_LINGER", kTcp, resetMidRequest},
    ServiceCheck{"server.one-byte-writes", "the request sent one byte per write gets its reply", kStream,
                 kTcp, oneByteWrites},
    ServiceCheck{"server.pipelined", "16 requests in one segment get 16 replies", kStream, kTcp, pipelined},
    ServiceCheck{"server.idle-clients", "a newcomer is served while 32 idle clients hold connections",
                 "listen(2), accept(2)", kTcp, idleClients},
    // buffering
    ServiceCheck{"server.split-everywhere",
                 "the request split in two writes at every byte boundary gets its reply", kStream, kTcp,
                 splitEverywhere},
    ServiceCheck{"server.large-batch",
                 "a batch of at least 1,000 pipelined requests (64 KiB) gets every reply",
                 "tcp(7); send(2): flow control", kTcp, largeBatch},
    ServiceCheck{"server.datagram-reply", "the request as one datagram gets its reply", kUdpSource, kUdp,
                 datagramReply},
    ServiceCheck{"server.datagram-empty", "an empty datagram does not stop the server answering the next",
                 kUdpSource, kUdp, datagramEmpty},
    ServiceCheck{"server.datagram-largest",
                 "the largest datagram (65,507 bytes) does not stop the server answering", kUdpSource, kUdp,
                 datagramLargest},
    ServiceCheck{"server.datagram-burst",
                 "64 requests at once, one per datagram: no reply lost (merged ones counted)", kUdpSource,
                 kUdp, datagramBurst},
    ServiceCheck{"server.datagram-truncation",
                 "every request in one 16 KiB datagram is answered (not cut by a short "
                 "read buffer)",
                 kUdpSource, kUdp, datagramTruncation},
    // backlog
    ServiceCheck{"server.listen-backlog", "the listener's real backlog (sock_diag) holds a burst of 128",
                 kListen, kTcp, listenBacklog},
    ServiceCheck{"server.connection-burst",
                 "128 clients connecting at once are all served; the cause when not", kListen, kTcp,
                 connectionBurst},
    // close order
    ServiceCheck{"server.close-order",
                 "who closes first after a reply, with FIN not RST; who holds TIME-WAIT", kClose, kTcp,
                 closeOrder},
    ServiceCheck{"server.unread-input-close",
                 "a server that closes with a request unread does not reset the client", kClose, kTcp,
                 unreadInputClose},
    ServiceCheck{"server.half-close", "a request sent with the client's FIN still gets its reply", kClose,
                 kTcp, halfClose},
    ServiceCheck{"server.client-leaves-first",
                 "when the client closes first the server closes too (no CLOSE-WAIT)", kClose, kTcp,
                 clientLeavesFirst},
    // hygiene
    ServiceCheck{"server.hygiene-silent-clients",
                 "no descriptors, CLOSE-WAIT sockets or memory leak after ~1000 "
                 "silent clients",
                 kProc, kTcp, hygieneSilentClients},
    ServiceCheck{"server.hygiene-reset-clients", "no leak after ~1000 clients that reset mid-request", kProc,
                 kTcp, hygieneResetClients},
    ServiceCheck{"server.hygiene-requests", "no leak after ~1000 requests whose clients close first", kProc,
                 kTcp, hygieneRequests},
    ServiceCheck{"server.hygiene-half-close", "no leak after ~1000 requests sent with the client's FIN",
                 kProc, kTcp, hygieneHalfClose},
    ServiceCheck{"server.liveness", "the server still answers a new client after all the checks above",
                 "the request and reply given", kTcp | kUdp, liveness},
};

}  // namespace

std::span<const ServiceCheck> serverProfileChecks() {
  return kServerChecks;
}

}  // namespace sockspec::suites
