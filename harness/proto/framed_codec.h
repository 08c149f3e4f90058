// The `framed` protocol's wire format (docs/framed-protocol.md): the one codec shared by the reference
// server, the client, the runner and the fuzzers. Pure functions over bytes: no I/O, no exceptions, and
// every input, however hostile, gives Complete, NeedMore or Malformed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sockspec::proto {

// Frame header: type (u8), flags (u8, must be 0), payload length (u32, big-endian), then the payload.
inline constexpr std::size_t kHeaderSize = 6;
inline constexpr std::uint32_t kDefaultMaxPayload = 64 * 1024;
inline constexpr std::uint8_t kProtocolVersion = 1;
inline constexpr std::size_t kMaxClientNameBytes = 64;

enum class FrameType : std::uint8_t {
  Hello = 0x01,         // client -> server, first: u8 version, then an optional client name (<= 64 bytes)
  Welcome = 0x02,       // server -> client: u8 version, u32 max payload
  Echo = 0x10,          // client -> server: any bytes
  EchoReply = 0x11,     // server -> client: the same bytes
  Reverse = 0x12,       // client -> server: any bytes
  ReverseReply = 0x13,  // server -> client: the bytes in reverse order
  Stats = 0x14,         // client -> server: empty
  StatsReply = 0x15,    // server -> client: u64 frames received, u64 payload bytes received (this connection)
  Bye = 0x20,           // client -> server: empty; the server answers ByeReply and closes in order
  ByeReply = 0x21,      // server -> client: empty
  Error = 0x7f,         // server -> client: u8 ErrorCode, then a UTF-8 message; then an orderly close
};

enum class ErrorCode : std::uint8_t {
  UnknownType = 1,         // the type byte names no frame type, or one a client may not send
  TooLarge = 2,            // the length exceeds the maximum payload
  HandshakeRequired = 3,   // a request came before Hello
  UnsupportedVersion = 4,  // Hello asked for a version the server does not speak
  BadPayload = 5,          // the payload does not fit its type (Stats with bytes, Hello without a version)
  UnexpectedHello = 6,     // a second Hello
  ReservedFlags = 7,       // the flags byte is not 0
};

struct Frame {
  FrameType type = FrameType::Echo;
  std::vector<std::uint8_t> payload;
  bool operator==(const Frame&) const = default;
};

enum class DecodeStatus { Complete, NeedMore, Malformed };

// A frame's type and payload where they lie in the decoder's input: valid only as long as that input.
struct FrameView {
  FrameType type = FrameType::Echo;
  std::span<const std::uint8_t> payload;
};

struct DecodeResult {
  DecodeStatus status = DecodeStatus::NeedMore;
  Frame frame;                // valid when Complete (decodeFrame; empty after decodeFrameView)
  FrameView view;             // valid when Complete, while the input is: the frame where it lies in the input
  std::size_t consumed = 0;   // bytes of input the frame used (Complete only)
  ErrorCode error = ErrorCode::UnknownType;  // valid when Malformed
  std::string message;        // valid when Malformed: what was wrong, for the Error frame and logs
  // Valid when NeedMore: the input size at which the frame can be decided (kHeaderSize while the header is
  // incomplete, then header + payload length), so a caller can buffer exactly one frame and no more.
  std::size_t needed = 0;
};

// Decodes the first frame in `input`. Malformed is decided from the header alone as soon as it is
// complete (an oversize length is refused before its payload arrives), and for a complete frame from
// its payload shape (payloadProblem below). A header with several faults reports the first of: flags
// (ReservedFlags), type (UnknownType), length (TooLarge). Malformed leaves `consumed` at 0: the stream
// cannot be resynchronised, so the connection ends.
DecodeResult decodeFrame(std::span<const std::uint8_t> input, std::uint32_t maxPayload = kDefaultMaxPayload);
// The same decision without copying the payload out: only `view` is set when Complete. For callers that are
// done with the frame before the input changes (the server's session: no allocation and copy per request).
DecodeResult decodeFrameView(std::span<const std::uint8_t> input, std::uint32_t maxPayload = kDefaultMaxPayload);

// Appends one encoded frame to `out`. The payload must fit in u32 (callers keep it under the maximum).
void appendFrame(std::vector<std::uint8_t>& out, FrameType type, std::span<const std::uint8_t> payload);
// Appends only the header; the caller appends exactly `payloadLength` bytes after it (e.g. reversed).
void appendFrameHeader(std::vector<std::uint8_t>& out, FrameType type, std::uint32_t payloadLength);
std::vector<std::uint8_t> encodeFrame(const Frame& frame);

// Whether the type byte names a frame type at all.
bool isKnownFrameType(std::uint8_t type);
// Whether a client may send this type (HELLO, ECHO, REVERSE, STATS, BYE); every other type is the server's.
// The decoder knows every type because the client decodes replies too; the server accepts only these.
bool isClientFrameType(FrameType type);
std::string_view frameTypeName(FrameType type);  // "HELLO", "ECHO_REPLY", ...
std::string_view errorCodeName(ErrorCode code);  // "TOO_LARGE", ...

// An empty string when the payload fits its type, else why not (e.g. "STATS takes no payload").
std::string payloadProblem(const Frame& frame);

// Payload builders and readers for the typed frames.
Frame makeHello(std::uint8_t version = kProtocolVersion, std::string_view clientName = {});
Frame makeWelcome(std::uint32_t maxPayload);
Frame makeError(ErrorCode code, std::string_view message);
Frame makeStatsReply(std::uint64_t frames, std::uint64_t bytes);

struct WelcomeInfo {
  std::uint8_t version = 0;
  std::uint32_t maxPayload = 0;
};
struct ErrorInfo {
  ErrorCode code = ErrorCode::UnknownType;
  std::string message;
};
struct StatsInfo {
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;
};
// Each returns false when the frame is of another type or its payload is malformed.
bool readWelcome(const Frame& frame, WelcomeInfo& out);
bool readError(const Frame& frame, ErrorInfo& out);
bool readStatsReply(const Frame& frame, StatsInfo& out);

// One line for people: "ECHO_REPLY 5 bytes", "ERROR TOO_LARGE: frame length 70000 exceeds 65536".
std::string describeFrame(const Frame& frame);

}  // namespace sockspec::proto
