#include "suites/framed_client.h"

#include <fmt/format.h>

namespace sockspec::suites {

namespace {

// The client decodes replies under a generous limit: the server's own limit is for what it receives.
constexpr std::uint32_t kMaxReplyPayload = 16 * 1024 * 1024;

}  // namespace

std::string describeMissingFrame(const FramedRead& read, const CheckContext& context) {
  if (read.malformed) return fmt::format("the server sent a malformed frame: {}", *read.malformed);
  switch (read.end.kind) {
    case StreamEnd::Kind::TimedOut: return fmt::format("no reply within {} ms", context.timeout.count());
    case StreamEnd::Kind::Eof: return "the server closed the connection (EOF)";
    case StreamEnd::Kind::Reset: return fmt::format("the connection was reset ({})", read.end.error.describe());
    case StreamEnd::Kind::Failed: return fmt::format("recv: {}", read.end.error.describe());
    case StreamEnd::Kind::Complete: break;
  }
  return "no frame";
}

Expected<FramedClient, std::string> FramedClient::connect(const CheckContext& context, const ConnectOptions& options) {
  auto stream = StreamClient::connect(context.target, context.deadline, options);
  if (!stream) return Unexpected{stream.error()};
  return FramedClient(std::move(*stream));
}

Expected<void, std::string> FramedClient::send(const std::vector<std::uint8_t>& bytes, const CheckContext& context) {
  auto sent = m_stream.sendAll(bytes, context.deadline, context.timeout);
  if (!sent) return Unexpected{fmt::format("send: {}", sent.error())};
  return {};
}

Expected<void, std::string> FramedClient::send(const proto::Frame& frame, const CheckContext& context) {
  return send(proto::encodeFrame(frame), context);
}

FramedRead FramedClient::readFrames(std::size_t count, const CheckContext& context) {
  FramedRead read;
  for (;;) {
    while (read.frames.size() < count) {
      auto decoded = proto::decodeFrame(m_pending, kMaxReplyPayload);
      if (decoded.status == proto::DecodeStatus::Malformed) {
        read.malformed = decoded.message;
        read.end = StreamEnd::complete();
        return read;
      }
      if (decoded.status == proto::DecodeStatus::NeedMore) break;
      m_pending.erase(m_pending.begin(), m_pending.begin() + static_cast<std::ptrdiff_t>(decoded.consumed));
      read.frames.push_back(std::move(decoded.frame));
    }
    if (read.frames.size() >= count) {
      read.end = StreamEnd::complete();
      return read;
    }
    StreamEnd end = m_stream.readSome(m_pending, context.deadline);
    if (end.kind != StreamEnd::Kind::Complete) {
      read.end = end;
      return read;
    }
  }
}

std::optional<std::string> FramedClient::expectFrame(proto::FrameType type, const CheckContext& context,
                                                     proto::Frame* out) {
  auto read = readFrames(1, context);
  if (read.frames.empty()) {
    return fmt::format("expected {}: {}", proto::frameTypeName(type), describeMissingFrame(read, context));
  }
  const auto& frame = read.frames.front();
  if (frame.type != type) {
    return fmt::format("expected {}, got {}", proto::frameTypeName(type), proto::describeFrame(frame));
  }
  if (auto problem = proto::payloadProblem(frame); !problem.empty()) {
    return fmt::format("{} is malformed: {}", proto::frameTypeName(type), problem);
  }
  if (out != nullptr) *out = frame;
  return std::nullopt;
}

std::optional<std::string> FramedClient::expectError(proto::ErrorCode code, const CheckContext& context) {
  auto read = readFrames(1, context);
  if (read.frames.empty()) {
    return fmt::format("expected ERROR {}: {}", proto::errorCodeName(code), describeMissingFrame(read, context));
  }
  proto::ErrorInfo info;
  if (!proto::readError(read.frames.front(), info) || info.code != code) {
    return fmt::format("expected ERROR {}, got {}", proto::errorCodeName(code),
                       proto::describeFrame(read.frames.front()));
  }
  return expectOrderlyClose(fmt::format("ERROR {}", proto::errorCodeName(code)), context);
}

std::optional<std::string> FramedClient::expectOrderlyClose(std::string_view after, const CheckContext& context) {
  std::size_t extra = m_pending.size();
  std::vector<std::uint8_t> rest;
  StreamEnd end = m_stream.readToEof(rest, 64 * 1024, context.deadline);
  extra += rest.size();
  if (extra > 0) return fmt::format("after {} the server sent {} more bytes", after, extra);
  switch (end.kind) {
    case StreamEnd::Kind::Eof: return std::nullopt;
    case StreamEnd::Kind::TimedOut:
      return fmt::format("after {}: no EOF within {} ms (the server must close the connection)", after,
                         context.timeout.count());
    case StreamEnd::Kind::Reset:
      return fmt::format("after {} the connection was reset ({}) instead of closed in order", after,
                         end.error.describe());
    default: return fmt::format("after {}: recv: {}", after, end.error.describe());
  }
}

Expected<std::uint32_t, std::string> FramedClient::handshake(const CheckContext& context) {
  if (auto sent = send(proto::makeHello(proto::kProtocolVersion, "sockspec"), context); !sent) {
    return Unexpected{sent.error()};
  }
  proto::Frame frame;
  if (auto problem = expectFrame(proto::FrameType::Welcome, context, &frame)) {
    return Unexpected{fmt::format("HELLO: {}", *problem)};
  }
  proto::WelcomeInfo info;
  (void)proto::readWelcome(frame, info);
  if (info.version != proto::kProtocolVersion) {
    return Unexpected{fmt::format("WELCOME names version {}, expected {}", info.version, proto::kProtocolVersion)};
  }
  return info.maxPayload;
}

}  // namespace sockspec::suites
