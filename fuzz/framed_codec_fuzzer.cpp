// Fuzz target `framed_codec`: the framed protocol's decoder and the server session built on it
// (harness/proto). Checks the promises of framed_codec.h and framed_session.h on arbitrary bytes:
//   - decodeFrame: Complete => consumed <= size and encodeFrame(frame) is exactly the consumed prefix;
//     NeedMore => needed > size; Malformed => consumed 0 and a message; with the default maximum payload
//     and with a small one (so TooLarge is reachable without megabytes of input);
//   - decode(encode(frame)) == frame for a frame built from the input, whenever its payload fits its type;
//   - FramedSession: the replies, the state and the counters do not depend on how the stream is split,
//     and at most one incomplete frame is ever buffered.
// Input layout: byte 0 picks the small maximum payload and the chunk sizes; the rest is the stream.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_check.h"
#include "proto/framed_codec.h"
#include "proto/framed_session.h"

namespace {

using sockspec::proto::DecodeStatus;

void checkDecode(std::span<const std::uint8_t> input, std::uint32_t maxPayload) {
  const auto result = sockspec::proto::decodeFrame(input, maxPayload);
  switch (result.status) {
    case DecodeStatus::Complete: {
      SOCKSPEC_FUZZ_CHECK(result.consumed >= sockspec::proto::kHeaderSize, "Complete consumes a header");
      SOCKSPEC_FUZZ_CHECK(result.consumed <= input.size(), "Complete consumes no more than the input");
      SOCKSPEC_FUZZ_CHECK(result.frame.payload.size() <= maxPayload, "Complete payload within the maximum");
      const auto encoded = sockspec::proto::encodeFrame(result.frame);
      SOCKSPEC_FUZZ_CHECK(encoded.size() == result.consumed, "encode(frame) has the consumed length");
      SOCKSPEC_FUZZ_CHECK(std::equal(encoded.begin(), encoded.end(), input.begin()),
                          "encode(frame) equals the consumed prefix");
      SOCKSPEC_FUZZ_CHECK(sockspec::proto::payloadProblem(result.frame).empty(),
                          "a Complete frame's payload fits its type");
      break;
    }
    case DecodeStatus::NeedMore:
      SOCKSPEC_FUZZ_CHECK(result.needed > input.size(), "NeedMore asks for more than the input");
      SOCKSPEC_FUZZ_CHECK(result.needed <= sockspec::proto::kHeaderSize + std::size_t{maxPayload},
                          "NeedMore never asks for more than one maximal frame");
      break;
    case DecodeStatus::Malformed:
      SOCKSPEC_FUZZ_CHECK(result.consumed == 0, "Malformed consumes nothing");
      SOCKSPEC_FUZZ_CHECK(!result.message.empty(), "Malformed says why");
      break;
  }
}

// A frame from the input's bytes (type from the first byte, payload the rest), encoded and decoded back.
void checkRoundTrip(std::span<const std::uint8_t> input) {
  if (input.empty() || !sockspec::proto::isKnownFrameType(input[0])) return;
  sockspec::proto::Frame frame;
  frame.type = static_cast<sockspec::proto::FrameType>(input[0]);
  frame.payload.assign(input.begin() + 1, input.end());
  const auto encoded = sockspec::proto::encodeFrame(frame);
  const auto maxPayload = static_cast<std::uint32_t>(frame.payload.size());
  const auto result = sockspec::proto::decodeFrame(encoded, maxPayload);
  if (sockspec::proto::payloadProblem(frame).empty()) {
    SOCKSPEC_FUZZ_CHECK(result.status == DecodeStatus::Complete, "a well-formed frame decodes");
    SOCKSPEC_FUZZ_CHECK(result.consumed == encoded.size(), "decode consumes the whole encoding");
    SOCKSPEC_FUZZ_CHECK(result.frame == frame, "decode(encode(frame)) == frame");
  } else {
    SOCKSPEC_FUZZ_CHECK(result.status == DecodeStatus::Malformed &&
                            result.error == sockspec::proto::ErrorCode::BadPayload,
                        "a frame whose payload does not fit its type is BadPayload");
  }
}

struct SessionOutcome {
  std::vector<std::uint8_t> replies;
  sockspec::proto::SessionState state;
  std::uint64_t frames;
  std::uint64_t bytes;
};

// Feeds the stream in chunks cycling through `chunkSizes` (0 means the whole rest at once).
SessionOutcome runSession(std::span<const std::uint8_t> stream, std::uint32_t maxPayload,
                          std::span<const std::size_t> chunkSizes) {
  sockspec::proto::FramedSession session(maxPayload);
  std::vector<std::uint8_t> replies;
  std::size_t next = 0;
  while (!stream.empty()) {
    std::size_t chunk = chunkSizes[next++ % chunkSizes.size()];
    chunk = chunk == 0 ? stream.size() : std::min(chunk, stream.size());
    session.onBytes(stream.first(chunk), replies);
    stream = stream.subspan(chunk);
    SOCKSPEC_FUZZ_CHECK(session.bufferedBytes() < sockspec::proto::kHeaderSize + std::size_t{maxPayload},
                        "the session buffers less than one maximal frame");
    if (session.state() == sockspec::proto::SessionState::Closing) {
      SOCKSPEC_FUZZ_CHECK(session.bufferedBytes() == 0, "a closing session buffers nothing");
    }
  }
  return {std::move(replies), session.state(), session.framesReceived(), session.payloadBytesReceived()};
}

void checkSessionSplits(std::span<const std::uint8_t> stream, std::uint8_t control) {
  const std::uint32_t maxPayload = (control & 0x80u) != 0 ? 16u : sockspec::proto::kDefaultMaxPayload;
  const std::size_t whole[] = {0};
  const std::size_t oneByte[] = {1};
  const std::size_t mixed[] = {std::size_t{control & 0x7u} + 1, 2, std::size_t{(control >> 3) & 0xfu} + 3};
  const auto reference = runSession(stream, maxPayload, whole);
  for (std::span<const std::size_t> split : {std::span<const std::size_t>(oneByte),
                                             std::span<const std::size_t>(mixed)}) {
    const auto outcome = runSession(stream, maxPayload, split);
    SOCKSPEC_FUZZ_CHECK(outcome.replies == reference.replies, "replies do not depend on the split");
    SOCKSPEC_FUZZ_CHECK(outcome.state == reference.state, "the state does not depend on the split");
    SOCKSPEC_FUZZ_CHECK(outcome.frames == reference.frames && outcome.bytes == reference.bytes,
                        "the counters do not depend on the split");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t control = data[0];
  const std::span<const std::uint8_t> stream(data + 1, size - 1);
  checkDecode(stream, sockspec::proto::kDefaultMaxPayload);
  checkDecode(stream, control);  // a maximum of 0..255 bytes
  checkRoundTrip(stream);
  checkSessionSplits(stream, control);
  return 0;
}
