#include "proto/framed_session.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/append_bytes.h"

namespace sockspec::proto {

SessionState FramedSession::onBytes(std::span<const std::uint8_t> input, std::vector<std::uint8_t>& out) {
  if (m_state != SessionState::Closing && !m_pending.empty()) input = finishPendingFrame(input, out);
  // Whole frames are decoded straight from `input`; only an incomplete tail is copied, so each byte is
  // copied at most once and nothing is ever erased from the front of a buffer.
  while (m_state != SessionState::Closing && !input.empty()) {
    DecodeResult result = decodeFrameView(input, m_maxPayload);
    if (result.status == DecodeStatus::NeedMore) {
      // Less than one frame, and the header (if complete) passed the length check: bounded.
      m_pending.clear();
      appendBytes(m_pending, input);
      break;
    }
    handleDecoded(result, out);
    input = input.subspan(result.consumed);
  }
  return m_state;
}

// Tops the pending frame up from `input`, taking no byte beyond its end (so the buffer holds one frame
// at most), handles it once complete, and returns the input that is left.
std::span<const std::uint8_t> FramedSession::finishPendingFrame(std::span<const std::uint8_t> input,
                                                                std::vector<std::uint8_t>& out) {
  while (true) {
    DecodeResult result = decodeFrameView(m_pending, m_maxPayload);
    if (result.status != DecodeStatus::NeedMore) {
      handleDecoded(result, out);
      m_pending.clear();
      return input;
    }
    if (input.empty()) return input;
    // `needed` grows from the header size to the frame size: at most two top-ups per frame.
    const std::size_t take = std::min(result.needed - m_pending.size(), input.size());
    m_pending.reserve(result.needed);
    appendBytes(m_pending, input.first(take));
    input = input.subspan(take);
  }
}

void FramedSession::handleDecoded(const DecodeResult& result, std::vector<std::uint8_t>& out) {
  if (result.status == DecodeStatus::Malformed) {
    fail(result.error, result.message, out);
    return;
  }
  ++m_framesReceived;
  m_payloadBytes += result.view.payload.size();
  handleFrame(result.view, out);
}

// Precedence, so every bad frame gets exactly one code: header faults were settled by the decoder; a
// server-only type is UnknownType in any state (to a server it is no more a request than 0x55 is); only
// then does the handshake state matter.
void FramedSession::handleFrame(const FrameView& frame, std::vector<std::uint8_t>& out) {
  if (!isClientFrameType(frame.type)) {
    fail(ErrorCode::UnknownType,
         fmt::format("{} is a server-to-client frame; a client may not send it", frameTypeName(frame.type)),
         out);
    return;
  }
  switch (m_state) {
    case SessionState::AwaitingHello: {
      if (frame.type != FrameType::Hello) {
        fail(ErrorCode::HandshakeRequired,
             fmt::format("{} before HELLO: the first frame must be HELLO", frameTypeName(frame.type)), out);
        return;
      }
      // The decoder guaranteed the version byte (payloadProblem).
      const std::uint8_t version = frame.payload[0];
      if (version != kProtocolVersion) {
        fail(ErrorCode::UnsupportedVersion,
             fmt::format("HELLO asks for version {}, this server speaks version {}", version, kProtocolVersion),
             out);
        return;
      }
      appendFrame(out, FrameType::Welcome, makeWelcome(m_maxPayload).payload);
      m_state = SessionState::Ready;
      return;
    }
    case SessionState::Ready:
      serveRequest(frame, out);
      return;
    case SessionState::Closing:
      return;
  }
}

void FramedSession::serveRequest(const FrameView& frame, std::vector<std::uint8_t>& out) {
  switch (frame.type) {
    case FrameType::Hello:
      fail(ErrorCode::UnexpectedHello, "second HELLO on this connection", out);
      return;
    case FrameType::Echo:
      appendFrame(out, FrameType::EchoReply, frame.payload);
      return;
    case FrameType::Reverse:
      // The payload fit under m_maxPayload (a u32) when it was decoded, so the cast cannot truncate.
      appendFrameHeader(out, FrameType::ReverseReply, static_cast<std::uint32_t>(frame.payload.size()));
      out.insert(out.end(), frame.payload.rbegin(), frame.payload.rend());
      return;
    case FrameType::Stats:
      appendFrame(out, FrameType::StatsReply, makeStatsReply(m_framesReceived, m_payloadBytes).payload);
      return;
    case FrameType::Bye:
      appendFrame(out, FrameType::ByeReply, {});
      close();
      return;
    case FrameType::Welcome:
    case FrameType::EchoReply:
    case FrameType::ReverseReply:
    case FrameType::StatsReply:
    case FrameType::ByeReply:
    case FrameType::Error:
      return;  // refused in handleFrame
  }
}

void FramedSession::fail(ErrorCode code, std::string_view message, std::vector<std::uint8_t>& out) {
  appendFrame(out, FrameType::Error, makeError(code, message).payload);
  close();
}

void FramedSession::close() {
  m_state = SessionState::Closing;
  // Nothing buffered can matter any more; give the memory back now rather than at destruction.
  m_pending = {};
}

}  // namespace sockspec::proto
