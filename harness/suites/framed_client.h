// FramedClient: the client side of one `framed` connection for the checks (docs/framed-protocol.md):
// sends encoded frames, decodes the server's frames with the shared codec, and tells how the connection
// ended after the last one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "proto/framed_codec.h"
#include "suites/service_check.h"
#include "suites/stream_client.h"

namespace sockspec::suites {

struct FramedRead {
  std::vector<proto::Frame> frames;
  StreamEnd end;                         // Complete when all frames asked for arrived
  std::optional<std::string> malformed;  // the server sent bytes the codec refuses
};

class FramedClient {
 public:
  static Expected<FramedClient, std::string> connect(const CheckContext& context, const ConnectOptions& options = {});

  StreamClient& stream() { return m_stream; }
  Expected<void, std::string> send(const std::vector<std::uint8_t>& bytes, const CheckContext& context);
  Expected<void, std::string> send(const proto::Frame& frame, const CheckContext& context);

  // Reads until `count` more frames arrived, the stream ended, or the deadline.
  FramedRead readFrames(std::size_t count, const CheckContext& context);
  // Reads one frame and checks its type (and, for ERROR, its code); the problem otherwise.
  std::optional<std::string> expectFrame(proto::FrameType type, const CheckContext& context,
                                         proto::Frame* out = nullptr);
  std::optional<std::string> expectError(proto::ErrorCode code, const CheckContext& context);
  // After the server's last frame (`after`, for messages): nothing more, then EOF (not RST) in time.
  std::optional<std::string> expectOrderlyClose(std::string_view after, const CheckContext& context);
  // HELLO, then WELCOME; returns the maximum payload the server announced.
  Expected<std::uint32_t, std::string> handshake(const CheckContext& context);

 private:
  explicit FramedClient(StreamClient stream) : m_stream(std::move(stream)) {}
  StreamClient m_stream;
  std::vector<std::uint8_t> m_pending;  // received bytes not yet decoded
};

// "got nothing within 5000 ms" / "the connection was reset (...)" / "got EOF": why a frame did not come.
std::string describeMissingFrame(const FramedRead& read, const CheckContext& context);

}  // namespace sockspec::suites
