// FramedSession: the server side of one `framed` connection, as a state machine over bytes. The
// reference server feeds it what it reads and sends what it returns; the fuzzers drive it directly.
// No I/O here: the caller owns the socket and the orderly close.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "proto/framed_codec.h"

namespace sockspec::proto {

enum class SessionState {
  AwaitingHello,  // only Hello is accepted
  Ready,          // requests are served
  Closing,        // Bye answered or an Error sent: the caller shuts down writing after sending `out`
};

class FramedSession {
 public:
  explicit FramedSession(std::uint32_t maxPayload = kDefaultMaxPayload) : m_maxPayload(maxPayload) {}

  // Consumes `input` (any split of the stream: partial frames are kept until the rest arrives) and
  // appends the encoded replies to `out`. Once Closing, further input is ignored. Returns the state after.
  // The replies depend only on the bytes, never on how they were split.
  SessionState onBytes(std::span<const std::uint8_t> input, std::vector<std::uint8_t>& out);

  SessionState state() const { return m_state; }
  // Well-formed frames decoded on this connection and the sum of their payload sizes (headers not
  // counted), up to and including the frame that ended it. A Stats request counts itself: the first
  // Stats after Hello reports 2 frames. Malformed frames and anything after Closing are not counted.
  std::uint64_t framesReceived() const { return m_framesReceived; }
  std::uint64_t payloadBytesReceived() const { return m_payloadBytes; }
  // Bytes held while waiting for the rest of a frame: at most one incomplete frame, so always less than
  // kHeaderSize + maxPayload; 0 once Closing.
  std::size_t bufferedBytes() const { return m_pending.size(); }

 private:
  std::span<const std::uint8_t> finishPendingFrame(std::span<const std::uint8_t> input,
                                                   std::vector<std::uint8_t>& out);
  void handleDecoded(const DecodeResult& result, std::vector<std::uint8_t>& out);
  void handleFrame(const FrameView& frame, std::vector<std::uint8_t>& out);
  void serveRequest(const FrameView& frame, std::vector<std::uint8_t>& out);
  void close();
  void fail(ErrorCode code, std::string_view message, std::vector<std::uint8_t>& out);

  std::uint32_t m_maxPayload;
  SessionState m_state = SessionState::AwaitingHello;
  std::vector<std::uint8_t> m_pending;
  std::uint64_t m_framesReceived = 0;
  std::uint64_t m_payloadBytes = 0;
};

}  // namespace sockspec::proto
