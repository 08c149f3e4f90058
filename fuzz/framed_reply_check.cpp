#include "framed_reply_check.h"

#include <fmt/format.h>

#include "proto/framed_codec.h"

namespace sockspec::fuzz {

std::string framedReplyProblem(std::span<const std::uint8_t> replies, std::uint32_t maxPayload, bool complete) {
  std::size_t offset = 0;
  bool ended = false;  // BYE_REPLY or ERROR seen
  for (std::size_t index = 1; offset < replies.size(); ++index) {
    // The view, not a copy: replies run to hundreds of frames per input, and only a failure needs a Frame.
    auto decoded = proto::decodeFrameView(replies.subspan(offset), maxPayload);
    if (decoded.status == proto::DecodeStatus::NeedMore) {
      if (!complete) return {};
      return fmt::format("reply frame {} at offset {}: the server stopped after {} of its {} bytes", index,
                         offset, replies.size() - offset, decoded.needed);
    }
    if (decoded.status == proto::DecodeStatus::Malformed) {
      return fmt::format("reply frame {} at offset {} is malformed: {}", index, offset, decoded.message);
    }
    const proto::FrameView& frame = decoded.view;
    auto describe = [&] {
      return proto::describeFrame(proto::Frame{frame.type, {frame.payload.begin(), frame.payload.end()}});
    };
    if (ended) {
      return fmt::format("reply frame {} at offset {} ({}) follows the frame that ended the connection", index,
                         offset, describe());
    }
    if (proto::isClientFrameType(frame.type)) {
      return fmt::format("reply frame {} at offset {} is a client frame: {}", index, offset, describe());
    }
    if (index == 1 && frame.type != proto::FrameType::Welcome && frame.type != proto::FrameType::Error) {
      return fmt::format("the first reply is {}, expected WELCOME or ERROR", describe());
    }
    ended = frame.type == proto::FrameType::ByeReply || frame.type == proto::FrameType::Error;
    offset += decoded.consumed;
  }
  return {};
}

}  // namespace sockspec::fuzz
