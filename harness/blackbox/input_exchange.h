// One black-box test of a stream server: connect, send the input, shut down our side (SHUT_WR), and read
// what comes back until the server closes, resets, or stays silent for the hang timeout. Every step is
// bounded: the exchange as a whole never outlasts connectTimeout + 10 x hangTimeout.
#pragma once

#include <chrono>
#include <csignal>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "base/sys_error.h"
#include "net/endpoint.h"
#include "net/endpoint_sockets.h"
#include "net/socket_ops.h"

namespace sockspec::blackbox {

enum class ConnectionEnd {
  OrderlyClose,  // recv returned 0: the server's FIN
  Reset,         // ECONNRESET (or EPIPE while sending): the server's RST
  StillOpen,     // neither a byte nor a close within the hang timeout
};
std::string_view connectionEndName(ConnectionEnd end);  // "closed in order", "reset", "still open"

struct ExchangeLimits {
  std::chrono::milliseconds connectTimeout{1000};
  std::chrono::milliseconds hangTimeout{1000};  // silence that ends the wait for more reply or a close
  std::size_t maxReplyBytes = 1 << 20;          // kept for feedback and verdicts; more is counted, not kept
  // SIGINT/SIGTERM (process/interrupt_signals.h): raised, the exchange gives up within kStopCheck.
  const volatile std::sig_atomic_t* stopRequested = nullptr;
  bool stopped() const { return stopRequested != nullptr && *stopRequested != 0; }
};

// How soon a raised stopRequested is noticed: waits are cut into slices this long.
inline constexpr std::chrono::milliseconds kStopCheck{20};

// How one message of a conversation (`--service any`) was answered: what the reply wait saw.
enum class ReplyEnd {
  Matched,  // the reply ended with --reply-end or matched --reply
  Quiet,    // bytes came, then silence for the quiet gap
  None,     // no byte within the first-byte wait
  Closed,   // the connection ended (ExchangeResult::end says how)
  Awaited,  // after the last message: the wait for the server's close ran out (a hang when it always closes)
};

struct MessageReply {
  std::size_t replyOffset = 0;  // where this message's reply starts in ExchangeResult::reply
  std::size_t replyBytes = 0;   // bytes received between sending this message and the next
  std::optional<std::chrono::microseconds> firstByte;  // after the message was sent; nullopt: none came
  std::chrono::microseconds largestGap{0};             // between two reads of this reply
  ReplyEnd end = ReplyEnd::None;
  bool atRest = false;         // ended (Quiet or None) because the server was at rest (reply_timing.h)
  bool audited = false;        // the quiet gap was waited anyway after the server was at rest
  bool lateAfterRest = false;  // ... and bytes came in it: the rest was no end
};

struct ExchangeResult {
  std::optional<net::EndpointFailure> connectFailure;  // set: nothing was sent
  std::size_t bytesSent = 0;
  std::string reply;           // the first maxReplyBytes bytes received
  std::size_t replyBytes = 0;  // all bytes received
  ConnectionEnd end = ConnectionEnd::StillOpen;
  std::optional<SysError> error;           // the send/recv error behind a reset, or a local failure
  std::chrono::milliseconds silentFor{0};  // how long the server was silent at the end (StillOpen)
  bool interrupted = false;  // stopRequested was raised: the exchange says nothing about the server
  std::vector<MessageReply> messages;  // `--service any`: one per message sent, in order
};

// Sends `input` to `endpoint` on a fresh connection and gathers the reply (above). Sending and reading
// interleave, so an echo of a large input cannot fill both directions' buffers and stall.
ExchangeResult exchangeInput(const net::Endpoint& endpoint, net::Bytes input, const ExchangeLimits& limits);

}  // namespace sockspec::blackbox
