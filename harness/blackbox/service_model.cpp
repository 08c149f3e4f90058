#include "blackbox/service_model.h"

#include <fmt/format.h>

#include "base/display_escape.h"
#include "base/errno_names.h"
#include "proto/framed_codec.h"

namespace sockspec::blackbox {

namespace {

// Large enough for any reply frame of a server with a bigger limit than the reference's 64 KiB: replies are
// only read here, never buffered beyond what ExchangeLimits keeps.
constexpr std::uint32_t kReplyMaxPayload = 16u << 20;

net::Bytes replyBytes(const ExchangeResult& result) {
  return net::asBytes(result.reply);
}

struct FramedReplies {
  std::vector<proto::Frame> frames;
  bool closing = false;          // an ERROR or BYE_REPLY came: nothing more is owed
  bool malformedTail = false;    // bytes that are no frame
  std::size_t partialBytes = 0;  // an incomplete frame at the end
};

FramedReplies decodeReplies(net::Bytes bytes) {
  FramedReplies replies;
  while (!bytes.empty()) {
    auto decoded = proto::decodeFrame(bytes, kReplyMaxPayload);
    if (decoded.status == proto::DecodeStatus::NeedMore) {
      replies.partialBytes = bytes.size();
      break;
    }
    if (decoded.status == proto::DecodeStatus::Malformed) {
      replies.malformedTail = true;
      break;
    }
    if (decoded.frame.type == proto::FrameType::Error || decoded.frame.type == proto::FrameType::ByeReply) {
      replies.closing = true;
    }
    replies.frames.push_back(std::move(decoded.frame));
    bytes = bytes.subspan(decoded.consumed);
  }
  return replies;
}

// Replies a server owes for `input`: one per complete request frame, and one ERROR for a malformed one
// (after which it reads nothing more).
std::size_t repliesOwed(net::Bytes input) {
  std::size_t owed = 0;
  while (!input.empty()) {
    auto decoded = proto::decodeFrameView(input, proto::kDefaultMaxPayload);  // counted, not kept
    if (decoded.status == proto::DecodeStatus::NeedMore) break;
    ++owed;
    if (decoded.status == proto::DecodeStatus::Malformed) break;
    input = input.subspan(decoded.consumed);
  }
  return owed;
}

std::string describeEnd(const ExchangeResult& result) {
  std::string text(connectionEndName(result.end));
  if (result.error) text += fmt::format(" ({})", errnoName(result.error->code));
  return text;
}

// "2 messages, 14 bytes sent; replies: 7 bytes \"+OK wel\"..., none; still open".
std::string describeConversation(const ExchangeResult& result) {
  std::string replies;
  for (const auto& message : result.messages) {
    if (!replies.empty()) replies += ", ";
    if (message.replyBytes == 0) {
      replies += "none";
      continue;
    }
    std::string_view start = std::string_view(result.reply).substr(std::min(message.replyOffset, result.reply.size()));
    replies += fmt::format("{} bytes \"{}\"", message.replyBytes,
                           escapeForDisplay(start.substr(0, std::min<std::size_t>(message.replyBytes, 24)), 40));
    if (replies.size() > 300) {
      replies += ", ...";
      break;
    }
  }
  return fmt::format("{} message{}, {} bytes sent; replies: {}; {}", result.messages.size(),
                     result.messages.size() == 1 ? "" : "s", result.bytesSent, replies.empty() ? "none" : replies,
                     describeEnd(result));
}

}  // namespace

bool replyComplete(const FuzzProtocol& protocol, net::Bytes input, const ExchangeResult& result) {
  if (protocol.any()) return true;
  if (protocol.kind == FuzzProtocolKind::Echo) return result.replyBytes >= input.size();
  auto replies = decodeReplies(replyBytes(result));
  return replies.closing || replies.frames.size() >= repliesOwed(input);
}

std::string describeExchange(const FuzzProtocol& protocol, net::Bytes input, const ExchangeResult& result) {
  if (result.connectFailure) return fmt::format("could not connect: {}", result.connectFailure->describe());
  if (protocol.any()) return describeConversation(result);
  std::string sent = result.bytesSent == input.size()
                         ? fmt::format("sent {} bytes", input.size())
                         : fmt::format("sent {} of {} bytes", result.bytesSent, input.size());
  if (protocol.kind == FuzzProtocolKind::Echo) {
    bool same = result.replyBytes == input.size() && result.reply == net::asText(input);
    return fmt::format("{}, {} {} bytes back, {}", sent, same ? "echoed, all" : "got", result.replyBytes,
                       describeEnd(result));
  }
  auto replies = decodeReplies(replyBytes(result));
  std::string frames;
  for (const auto& frame : replies.frames) {
    if (!frames.empty()) frames += ", ";
    proto::ErrorInfo error;
    frames += proto::readError(frame, error) ? fmt::format("ERROR {}", proto::errorCodeName(error.code))
                                             : std::string(proto::frameTypeName(frame.type));
    if (frames.size() > 200) {
      frames += ", ...";
      break;
    }
  }
  if (replies.malformedTail)
    frames += frames.empty() ? "bytes that are no frame" : ", bytes that are no frame";
  if (replies.partialBytes != 0)
    frames +=
        fmt::format("{}{} bytes of an incomplete frame", frames.empty() ? "" : ", ", replies.partialBytes);
  return fmt::format("{}, got {} bytes ({}), {}", sent, result.replyBytes,
                     frames.empty() ? "no frames" : frames, describeEnd(result));
}

std::vector<std::vector<std::uint8_t>> seedInputs(const FuzzProtocol& protocol) {
  if (protocol.any()) return {};
  if (protocol.kind == FuzzProtocolKind::Echo) {
    std::string_view line = "hello, echo\n";
    return {std::vector<std::uint8_t>(line.begin(), line.end())};
  }
  std::vector<std::uint8_t> session;
  proto::appendFrame(session, proto::FrameType::Hello,
                     proto::makeHello(proto::kProtocolVersion, "fuzz").payload);
  std::vector<std::uint8_t> hello = session;
  std::string_view text = "abc";
  proto::appendFrame(session, proto::FrameType::Echo, net::asBytes(text));
  proto::appendFrame(session, proto::FrameType::Reverse, net::asBytes(text));
  proto::appendFrame(session, proto::FrameType::Stats, {});
  proto::appendFrame(session, proto::FrameType::Bye, {});
  return {hello, session};
}

}  // namespace sockspec::blackbox
