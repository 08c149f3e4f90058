#include "proto/framed_codec.h"

#include <fmt/format.h>

#include <array>
#include <cassert>
#include <limits>
#include <utility>

#include "base/append_bytes.h"
#include "base/display_escape.h"

namespace sockspec::proto {
namespace {

constexpr std::size_t kWelcomePayloadBytes = 1 + 4;
constexpr std::size_t kStatsReplyPayloadBytes = 8 + 8;

void appendU32(std::vector<std::uint8_t>& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

void appendU64(std::vector<std::uint8_t>& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(value >> shift));
}

// Callers have checked that `bytes` holds at least 4 (or 8) bytes.
std::uint32_t readU32(std::span<const std::uint8_t> bytes) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value = (value << 8) | bytes[i];
  return value;
}

std::uint64_t readU64(std::span<const std::uint8_t> bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) value = (value << 8) | bytes[i];
  return value;
}

bool isKnownErrorCode(std::uint8_t code) {
  switch (static_cast<ErrorCode>(code)) {
    case ErrorCode::UnknownType:
    case ErrorCode::TooLarge:
    case ErrorCode::HandshakeRequired:
    case ErrorCode::UnsupportedVersion:
    case ErrorCode::BadPayload:
    case ErrorCode::UnexpectedHello:
    case ErrorCode::ReservedFlags:
      return true;
  }
  return false;
}

// RFC 3629: rejects overlong forms, surrogates and code points above U+10FFFF, so a message that passes
// can be shown or logged as UTF-8 without further checks.
bool isValidUtf8(std::span<const std::uint8_t> bytes) {
  std::size_t i = 0;
  while (i < bytes.size()) {
    const std::uint8_t lead = bytes[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    if ((lead & 0xE0u) == 0xC0u) {
      length = 2;
    } else if ((lead & 0xF0u) == 0xE0u) {
      length = 3;
    } else if ((lead & 0xF8u) == 0xF0u) {
      length = 4;
    } else {
      return false;  // a continuation byte or 0xF8..0xFF where a sequence should start
    }
    static constexpr std::uint32_t kLeadMask[] = {0, 0, 0x1F, 0x0F, 0x07};
    static constexpr std::uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};  // below: overlong
    std::uint32_t codePoint = lead & kLeadMask[length];
    if (bytes.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const std::uint8_t next = bytes[i + k];
      if ((next & 0xC0u) != 0x80u) return false;
      codePoint = (codePoint << 6) | (next & 0x3Fu);
    }
    if (codePoint < kSmallest[length] || codePoint > 0x10FFFF || (codePoint >= 0xD800 && codePoint <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

std::string_view asText(std::span<const std::uint8_t> bytes) {
  // Reading bytes as chars is always allowed (char may alias anything).
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::span<const std::uint8_t> asBytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string bytesCount(std::size_t count) { return fmt::format("{} byte{}", count, count == 1 ? "" : "s"); }

std::string emptyPayloadProblem(FrameType type, std::span<const std::uint8_t> payload) {
  if (payload.empty()) return {};
  return fmt::format("{} takes no payload, got {}", frameTypeName(type), bytesCount(payload.size()));
}

std::string payloadProblemOf(FrameType type, std::span<const std::uint8_t> payload) {
  switch (type) {
    case FrameType::Hello:
      if (payload.empty()) return "HELLO needs at least 1 byte (the protocol version)";
      if (payload.size() - 1 > kMaxClientNameBytes) {
        return fmt::format("HELLO client name is {} bytes, the maximum is {}", payload.size() - 1,
                           kMaxClientNameBytes);
      }
      return {};
    case FrameType::Welcome:
      if (payload.size() == kWelcomePayloadBytes) return {};
      return fmt::format("WELCOME payload must be {} bytes (version, max payload), got {}",
                         kWelcomePayloadBytes, payload.size());
    case FrameType::StatsReply:
      if (payload.size() == kStatsReplyPayloadBytes) return {};
      return fmt::format("STATS_REPLY payload must be {} bytes (frames, payload bytes), got {}",
                         kStatsReplyPayloadBytes, payload.size());
    case FrameType::Stats:
    case FrameType::Bye:
    case FrameType::ByeReply:
      return emptyPayloadProblem(type, payload);
    case FrameType::Echo:
    case FrameType::EchoReply:
    case FrameType::Reverse:
    case FrameType::ReverseReply:
      return {};
    case FrameType::Error:
      if (payload.empty()) return "ERROR needs at least 1 byte (the error code)";
      if (!isKnownErrorCode(payload[0])) return fmt::format("ERROR code {} is not a known error code", payload[0]);
      if (!isValidUtf8(payload.subspan(1))) return "ERROR message is not valid UTF-8";
      return {};
  }
  return fmt::format("unknown frame type 0x{:02x}", static_cast<unsigned>(type));
}

DecodeResult malformed(ErrorCode code, std::string message) {
  DecodeResult result;
  result.status = DecodeStatus::Malformed;
  result.error = code;
  result.message = std::move(message);
  return result;
}

DecodeResult needMore(std::size_t needed) {
  DecodeResult result;
  result.status = DecodeStatus::NeedMore;
  result.needed = needed;
  return result;
}

}  // namespace

DecodeResult decodeFrameView(std::span<const std::uint8_t> input, std::uint32_t maxPayload) {
  if (input.size() < kHeaderSize) return needMore(kHeaderSize);
  const std::uint8_t typeByte = input[0];
  const std::uint8_t flags = input[1];
  const std::uint32_t length = readU32(input.subspan(2, 4));
  if (flags != 0) {
    return malformed(ErrorCode::ReservedFlags, fmt::format("flags byte is 0x{:02x}, must be 0", flags));
  }
  if (!isKnownFrameType(typeByte)) {
    return malformed(ErrorCode::UnknownType, fmt::format("unknown frame type 0x{:02x}", typeByte));
  }
  // Refused here, from the header alone, so nobody buffers a payload that will be thrown away.
  if (length > maxPayload) {
    return malformed(ErrorCode::TooLarge,
                     fmt::format("frame length {} exceeds the maximum {}", length, maxPayload));
  }
  // Compared without adding to the input size, so no sum can wrap.
  if (input.size() - kHeaderSize < length) return needMore(kHeaderSize + std::size_t{length});

  const auto type = static_cast<FrameType>(typeByte);
  const auto payload = input.subspan(kHeaderSize, length);
  if (auto problem = payloadProblemOf(type, payload); !problem.empty()) {
    return malformed(ErrorCode::BadPayload, std::move(problem));
  }
  DecodeResult result;
  result.status = DecodeStatus::Complete;
  result.view = FrameView{type, payload};
  result.consumed = kHeaderSize + std::size_t{length};
  return result;
}

DecodeResult decodeFrame(std::span<const std::uint8_t> input, std::uint32_t maxPayload) {
  DecodeResult result = decodeFrameView(input, maxPayload);
  if (result.status == DecodeStatus::Complete) {
    result.frame.type = result.view.type;
    result.frame.payload.assign(result.view.payload.begin(), result.view.payload.end());
  }
  return result;
}

void appendFrameHeader(std::vector<std::uint8_t>& out, FrameType type, std::uint32_t payloadLength) {
  const std::array<std::uint8_t, kHeaderSize> header{
      static_cast<std::uint8_t>(type), 0,  // flags: reserved
      static_cast<std::uint8_t>(payloadLength >> 24), static_cast<std::uint8_t>(payloadLength >> 16),
      static_cast<std::uint8_t>(payloadLength >> 8), static_cast<std::uint8_t>(payloadLength)};
  appendBytes(out, header);
}

void appendFrame(std::vector<std::uint8_t>& out, FrameType type, std::span<const std::uint8_t> payload) {
  assert(payload.size() <= std::numeric_limits<std::uint32_t>::max());
  appendFrameHeader(out, type, static_cast<std::uint32_t>(payload.size()));
  appendBytes(out, payload);
}

std::vector<std::uint8_t> encodeFrame(const Frame& frame) {
  std::vector<std::uint8_t> out;
  out.reserve(kHeaderSize + frame.payload.size());
  appendFrame(out, frame.type, frame.payload);
  return out;
}

bool isKnownFrameType(std::uint8_t type) {
  switch (static_cast<FrameType>(type)) {
    case FrameType::Hello:
    case FrameType::Welcome:
    case FrameType::Echo:
    case FrameType::EchoReply:
    case FrameType::Reverse:
    case FrameType::ReverseReply:
    case FrameType::Stats:
    case FrameType::StatsReply:
    case FrameType::Bye:
    case FrameType::ByeReply:
    case FrameType::Error:
      return true;
  }
  return false;
}

std::string_view frameTypeName(FrameType type) {
  switch (type) {
    case FrameType::Hello: return "HELLO";
    case FrameType::Welcome: return "WELCOME";
    case FrameType::Echo: return "ECHO";
    case FrameType::EchoReply: return "ECHO_REPLY";
    case FrameType::Reverse: return "REVERSE";
    case FrameType::ReverseReply: return "REVERSE_REPLY";
    case FrameType::Stats: return "STATS";
    case FrameType::StatsReply: return "STATS_REPLY";
    case FrameType::Bye: return "BYE";
    case FrameType::ByeReply: return "BYE_REPLY";
    case FrameType::Error: return "ERROR";
  }
  return "UNKNOWN";
}

std::string_view errorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::UnknownType: return "UNKNOWN_TYPE";
    case ErrorCode::TooLarge: return "TOO_LARGE";
    case ErrorCode::HandshakeRequired: return "HANDSHAKE_REQUIRED";
    case ErrorCode::UnsupportedVersion: return "UNSUPPORTED_VERSION";
    case ErrorCode::BadPayload: return "BAD_PAYLOAD";
    case ErrorCode::UnexpectedHello: return "UNEXPECTED_HELLO";
    case ErrorCode::ReservedFlags: return "RESERVED_FLAGS";
  }
  return "UNKNOWN";
}

std::string payloadProblem(const Frame& frame) { return payloadProblemOf(frame.type, frame.payload); }

Frame makeHello(std::uint8_t version, std::string_view clientName) {
  Frame frame{FrameType::Hello, {}};
  frame.payload.reserve(1 + clientName.size());
  frame.payload.push_back(version);
  const auto name = asBytes(clientName);
  frame.payload.insert(frame.payload.end(), name.begin(), name.end());
  return frame;
}

Frame makeWelcome(std::uint32_t maxPayload) {
  Frame frame{FrameType::Welcome, {}};
  frame.payload.reserve(kWelcomePayloadBytes);
  frame.payload.push_back(kProtocolVersion);
  appendU32(frame.payload, maxPayload);
  return frame;
}

Frame makeError(ErrorCode code, std::string_view message) {
  Frame frame{FrameType::Error, {}};
  frame.payload.reserve(1 + message.size());
  frame.payload.push_back(static_cast<std::uint8_t>(code));
  const auto text = asBytes(message);
  frame.payload.insert(frame.payload.end(), text.begin(), text.end());
  return frame;
}

Frame makeStatsReply(std::uint64_t frames, std::uint64_t bytes) {
  Frame frame{FrameType::StatsReply, {}};
  frame.payload.reserve(kStatsReplyPayloadBytes);
  appendU64(frame.payload, frames);
  appendU64(frame.payload, bytes);
  return frame;
}

bool readWelcome(const Frame& frame, WelcomeInfo& out) {
  if (frame.type != FrameType::Welcome || !payloadProblem(frame).empty()) return false;
  const std::span<const std::uint8_t> payload = frame.payload;
  out.version = payload[0];
  out.maxPayload = readU32(payload.subspan(1));
  return true;
}

bool readError(const Frame& frame, ErrorInfo& out) {
  if (frame.type != FrameType::Error || !payloadProblem(frame).empty()) return false;
  const std::span<const std::uint8_t> payload = frame.payload;
  out.code = static_cast<ErrorCode>(payload[0]);
  out.message = std::string(asText(payload.subspan(1)));
  return true;
}

bool readStatsReply(const Frame& frame, StatsInfo& out) {
  if (frame.type != FrameType::StatsReply || !payloadProblem(frame).empty()) return false;
  const std::span<const std::uint8_t> payload = frame.payload;
  out.frames = readU64(payload);
  out.bytes = readU64(payload.subspan(8));
  return true;
}

std::string describeFrame(const Frame& frame) {
  const std::string problem = payloadProblem(frame);
  const std::span<const std::uint8_t> payload = frame.payload;
  if (problem.empty()) {
    switch (frame.type) {
      case FrameType::Hello: {
        if (payload.size() == 1) return fmt::format("HELLO version {}", payload[0]);
        return fmt::format("HELLO version {} name \"{}\"", payload[0],
                           escapeForDisplay(asText(payload.subspan(1))));
      }
      case FrameType::Welcome: {
        WelcomeInfo info;
        (void)readWelcome(frame, info);
        return fmt::format("WELCOME version {}, max payload {}", info.version, info.maxPayload);
      }
      case FrameType::StatsReply: {
        StatsInfo info;
        (void)readStatsReply(frame, info);
        return fmt::format("STATS_REPLY {} frames, {} payload bytes", info.frames, info.bytes);
      }
      case FrameType::Error: {
        ErrorInfo info;
        (void)readError(frame, info);
        return fmt::format("ERROR {}: {}", errorCodeName(info.code), escapeForDisplay(info.message));
      }
      case FrameType::Stats:
      case FrameType::Bye:
      case FrameType::ByeReply:
        return std::string(frameTypeName(frame.type));
      case FrameType::Echo:
      case FrameType::EchoReply:
      case FrameType::Reverse:
      case FrameType::ReverseReply:
        break;
    }
  }
  std::string line = fmt::format("{} {}", frameTypeName(frame.type), bytesCount(payload.size()));
  if (!problem.empty()) line += fmt::format(" (malformed: {})", problem);
  return line;
}

bool isClientFrameType(FrameType type) {
  switch (type) {
    case FrameType::Hello:
    case FrameType::Echo:
    case FrameType::Reverse:
    case FrameType::Stats:
    case FrameType::Bye:
      return true;
    case FrameType::Welcome:
    case FrameType::EchoReply:
    case FrameType::ReverseReply:
    case FrameType::StatsReply:
    case FrameType::ByeReply:
    case FrameType::Error:
      return false;
  }
  return false;
}

}  // namespace sockspec::proto
