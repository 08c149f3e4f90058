#include "framed_exchange.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <optional>

#include "base/display_escape.h"
#include "connection_close.h"

namespace sockspec::client {

namespace {

using Stop = StreamExchange::Stop;

// Replies are read with the server's advertised maximum, but never less than the protocol default and
// never more than this: a server announcing 4 GiB must not make the client buffer 4 GiB.
constexpr std::uint32_t kLargestAcceptedPayload = 16u * 1024 * 1024;

constexpr std::string_view kClientName = "sockspec-client";

bool never() {
  return false;
}

std::string_view asText(const std::vector<std::uint8_t>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Collects received bytes and cuts frames off the front.
class FrameReader {
 public:
  void append(net::Bytes bytes) { m_buffer.insert(m_buffer.end(), bytes.begin(), bytes.end()); }

  // Whether the buffer starts with a whole frame or with a header the codec already rejects.
  bool ready() const {
    auto status = proto::decodeFrameView(m_buffer, m_maxPayload).status;  // no payload copy to learn this
    return status != proto::DecodeStatus::NeedMore;
  }

  proto::DecodeResult take() {
    proto::DecodeResult result = proto::decodeFrame(m_buffer, m_maxPayload);
    if (result.status == proto::DecodeStatus::Complete) {
      m_buffer.erase(m_buffer.begin(), m_buffer.begin() + static_cast<std::ptrdiff_t>(result.consumed));
    }
    return result;
  }

  std::size_t buffered() const { return m_buffer.size(); }

  // Returns the largest frame now accepted, header included.
  std::size_t acceptPayloadsUpTo(std::uint32_t advertised) {
    m_maxPayload = std::clamp(advertised, proto::kDefaultMaxPayload, kLargestAcceptedPayload);
    return proto::kHeaderSize + m_maxPayload;
  }

 private:
  std::vector<std::uint8_t> m_buffer;
  std::uint32_t m_maxPayload = proto::kDefaultMaxPayload;
};

// ECHO_REPLY and REVERSE_REPLY show their payload, escaped only if it is not printable ASCII; every other
// frame is described.
std::string replyLine(const proto::Frame& frame) {
  if (frame.type != proto::FrameType::EchoReply && frame.type != proto::FrameType::ReverseReply) {
    return proto::describeFrame(frame);
  }
  const std::string_view payload = asText(frame.payload);
  const bool printable = std::all_of(payload.begin(), payload.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x20 && byte < 0x7f;
  });
  return printable ? std::string(payload) : escapeForDisplay(payload, payload.size());
}

proto::FrameType expectedReply(proto::FrameType request) {
  switch (request) {
    case proto::FrameType::Echo:
      return proto::FrameType::EchoReply;
    case proto::FrameType::Reverse:
      return proto::FrameType::ReverseReply;
    case proto::FrameType::Stats:
      return proto::FrameType::StatsReply;
    default:
      return proto::FrameType::ByeReply;
  }
}

// One framed connection from the client's side: send a frame, wait for the next one, wait for the close.
class FramedConnection {
 public:
  FramedConnection(net::UniqueFd& fd, StreamExchange& exchange, const ExchangeContext& context)
      : m_fd(fd), m_exchange(exchange), m_context(context) {
    // A server that answers with ERROR and closes may reset what is still being sent; its ERROR is still
    // waiting in the receive queue and is the better report.
    m_exchange.keepReadingAfterSendFailure();
    m_exchange.fitRecordsOf(proto::kHeaderSize + proto::kDefaultMaxPayload);
  }

  void send(const proto::Frame& frame) { m_exchange.queue(proto::encodeFrame(frame)); }

  Expected<proto::Frame, ClientFailure> awaitFrame(std::string_view waitingFor) {
    if (!m_reader.ready()) {
      auto stop = m_exchange.run([&] { return m_reader.ready(); }, appender());
      if (!stop)
        return socketFailed(m_context.endpoint, stop.error(), "framed",
                            fmt::format("waiting for {}", waitingFor));
      if (*stop != Stop::Done) return unfinished(*stop, fmt::format("waiting for {}", waitingFor));
    }
    proto::DecodeResult decoded = m_reader.take();
    if (decoded.status != proto::DecodeStatus::Complete) {
      return serverFailed(
          fmt::format("the server sent a malformed frame while the client was waiting for {}: {}", waitingFor,
                      decoded.message));
    }
    return std::move(decoded.frame);
  }

  // Nothing may arrive any more but the end of the stream.
  Outcome awaitClose(std::string_view after) {
    auto stop = m_exchange.run([&] { return m_reader.buffered() > 0; }, appender());
    const std::string what = fmt::format("waiting for the server to close the connection {}", after);
    if (!stop) return socketFailed(m_context.endpoint, stop.error(), "framed", what);
    switch (*stop) {
      case Stop::PeerClosed:
        return {};
      case Stop::Done: {
        std::string extra = fmt::format("{} more bytes", m_reader.buffered());
        if (m_reader.ready()) {
          proto::DecodeResult next = m_reader.take();
          if (next.status == proto::DecodeStatus::Complete) extra = proto::describeFrame(next.frame);
        }
        return serverFailed(
            fmt::format("the server sent {} {}, where it should have closed the connection", extra, after));
      }
      case Stop::Rejected:
      case Stop::TimedOut:
        break;
    }
    return unfinished(*stop, what);
  }

  Outcome halfClose() { return shutdownWriting(m_fd.get(), m_context.endpoint, "framed"); }

  // --abort: what was queued goes out, then RST.
  Outcome sendAllAndReset() {
    auto stop = m_exchange.run([&] { return m_exchange.sendDone(); }, appender());
    if (!stop) return socketFailed(m_context.endpoint, stop.error(), "framed");
    if (*stop != Stop::Done) return unfinished(*stop, "sending the last request");
    if (m_exchange.sendFailure())
      return socketFailed(m_context.endpoint, *m_exchange.sendFailure(), "framed");
    return resetConnection(m_fd, m_context.endpoint);
  }

  void acceptPayloadsUpTo(std::uint32_t advertised) {
    m_exchange.fitRecordsOf(m_reader.acceptPayloadsUpTo(advertised));
  }

 private:
  StreamExchange::ByteHandler appender() {
    return [this](net::Bytes bytes) {
      m_reader.append(bytes);
      return true;
    };
  }

  ClientFailure unfinishedFailure(Stop stop, const std::string& what) {
    if (m_exchange.sendFailure()) {
      return socketFailed(m_context.endpoint, *m_exchange.sendFailure(), "framed", what).error;
    }
    if (stop == Stop::TimedOut) return timedOut(m_context.options.timeout, what).error;
    if (m_reader.buffered() > 0) {
      return serverFailed(fmt::format("the server closed the connection in the middle of a frame "
                                      "({} bytes of it came) while the client was {}",
                                      m_reader.buffered(), what))
          .error;
    }
    return serverFailed(fmt::format("the server closed the connection while the client was {}", what)).error;
  }
  Unexpected<ClientFailure> unfinished(Stop stop, const std::string& what) {
    return Unexpected{unfinishedFailure(stop, what)};
  }

  net::UniqueFd& m_fd;
  StreamExchange& m_exchange;
  const ExchangeContext& m_context;
  FrameReader m_reader;
};

// Checks a reply against its request; the reply has been printed already.
Outcome checkReply(const ScriptRequest& request, const proto::Frame& reply, std::string_view where) {
  const std::string_view requestName = proto::frameTypeName(request.type);
  if (reply.type == proto::FrameType::Error) {
    return serverFailed(
        fmt::format("{}: the server answered {} with {}", where, requestName, proto::describeFrame(reply)));
  }
  const proto::FrameType expected = expectedReply(request.type);
  if (reply.type != expected) {
    return serverFailed(fmt::format("{}: the server answered {} with {}, expected {}", where, requestName,
                                    proto::describeFrame(reply), proto::frameTypeName(expected)));
  }
  std::string wanted = request.payload;
  if (request.type == proto::FrameType::Reverse) std::reverse(wanted.begin(), wanted.end());
  if ((expected == proto::FrameType::EchoReply || expected == proto::FrameType::ReverseReply) &&
      asText(reply.payload) != wanted) {
    return serverFailed(fmt::format("{}: {} payload is \"{}\", expected \"{}\"", where,
                                    proto::frameTypeName(expected), escapeForDisplay(asText(reply.payload)),
                                    escapeForDisplay(wanted)));
  }
  return {};
}

Outcome handshake(FramedConnection& connection, const ExchangeContext& context) {
  connection.send(proto::makeHello(proto::kProtocolVersion, kClientName));
  auto welcome = connection.awaitFrame("WELCOME");
  if (!welcome) return Unexpected{welcome.error()};
  proto::WelcomeInfo info;
  if (!proto::readWelcome(*welcome, info)) {
    if (welcome->type == proto::FrameType::Error) context.replies.writeLine(proto::describeFrame(*welcome));
    return serverFailed(
        fmt::format("the server answered HELLO with {}, expected WELCOME", proto::describeFrame(*welcome)));
  }
  if (info.version != proto::kProtocolVersion) {
    return serverFailed(fmt::format("the server answered HELLO version {} with WELCOME version {}",
                                    proto::kProtocolVersion, info.version));
  }
  connection.acceptPayloadsUpTo(info.maxPayload);
  return {};
}

}  // namespace

Outcome runFramedScript(net::UniqueFd& fd, const std::vector<ScriptRequest>& script,
                        std::string_view scriptName, const ExchangeContext& context) {
  auto exchange = StreamExchange::create(fd.get(), context.streamSettings(), context.deadline);
  if (!exchange) return internalFailed(exchange.error().describe());
  FramedConnection connection(fd, *exchange, context);
  if (auto greeted = handshake(connection, context); !greeted) return greeted;

  const CloseMode mode = context.options.closeMode;
  for (std::size_t i = 0; i < script.size(); ++i) {
    const ScriptRequest& request = script[i];
    connection.send(toFrame(request));
    if (mode == CloseMode::Abort && i + 1 == script.size()) return connection.sendAllAndReset();

    const std::string where = fmt::format("{}:{}", scriptName, request.line);
    auto reply =
        connection.awaitFrame(fmt::format("the reply to {} ({})", proto::frameTypeName(request.type), where));
    if (!reply) return Unexpected{reply.error()};
    context.replies.writeLine(replyLine(*reply));
    if (auto checked = checkReply(request, *reply, where); !checked) return checked;

    if (request.type == proto::FrameType::Bye) {
      if (mode == CloseMode::HalfClose) {
        if (auto shut = connection.halfClose(); !shut) return shut;
      }
      return connection.awaitClose("after BYE_REPLY");
    }
  }

  switch (mode) {
    case CloseMode::Abort:
      return resetConnection(fd, context.endpoint);  // an empty script: after WELCOME
    case CloseMode::HalfClose: {
      if (auto shut = connection.halfClose(); !shut) return shut;
      return connection.awaitClose("after the client's shutdown(SHUT_WR)");
    }
    case CloseMode::Normal:
      break;
  }
  connection.send(proto::Frame{proto::FrameType::Bye, {}});
  auto reply = connection.awaitFrame("BYE_REPLY");
  if (!reply) return Unexpected{reply.error()};
  if (reply->type != proto::FrameType::ByeReply) {
    if (reply->type == proto::FrameType::Error) context.replies.writeLine(proto::describeFrame(*reply));
    return serverFailed(fmt::format("the server answered the closing BYE with {}, expected BYE_REPLY",
                                    proto::describeFrame(*reply)));
  }
  return connection.awaitClose("after BYE_REPLY");
}

Outcome runFramedRaw(net::UniqueFd& fd, std::string_view input, const ExchangeContext& context) {
  auto exchange = StreamExchange::create(fd.get(), context.streamSettings(), context.deadline);
  if (!exchange) return internalFailed(exchange.error().describe());
  exchange->keepReadingAfterSendFailure();
  exchange->fitRecordsOf(proto::kHeaderSize + proto::kDefaultMaxPayload);

  FrameReader reader;
  std::size_t frames = 0;
  std::optional<proto::Frame> last;
  std::string malformed;
  const auto onBytes = [&](net::Bytes bytes) {
    reader.append(bytes);
    while (reader.ready()) {
      proto::DecodeResult decoded = reader.take();
      if (decoded.status != proto::DecodeStatus::Complete) {
        malformed = decoded.message;
        return false;
      }
      ++frames;
      context.replies.writeLine(proto::describeFrame(decoded.frame));
      proto::WelcomeInfo info;
      if (proto::readWelcome(decoded.frame, info))
        exchange->fitRecordsOf(reader.acceptPayloadsUpTo(info.maxPayload));
      last = std::move(decoded.frame);
    }
    return true;
  };
  const auto sentSoFar = [&] {
    return fmt::format("after {} of {} bytes were sent and {} frames came back", exchange->bytesSent(),
                       input.size(), frames);
  };
  // What the server did once it stopped talking, judged when it closed.
  const auto judgeClose = [&]() -> Outcome {
    const auto& sendFailure = exchange->sendFailure();
    if (sendFailure && sendFailure->code != EPIPE) {
      // EPIPE only says the server closed first and then refused the rest (SOCKET-FACTS close table);
      // ECONNRESET says it reset the connection without closing it in order.
      return socketFailed(context.endpoint, *sendFailure, "framed --raw", sentSoFar());
    }
    if (reader.buffered() > 0) {
      return serverFailed(
          fmt::format("the server closed the connection in the middle of a frame ({} bytes of it came)",
                      reader.buffered()));
    }
    if (!last)
      return serverFailed("the server closed the connection without answering with an ERROR frame " +
                          sentSoFar());
    if (last->type != proto::FrameType::Error) {
      return serverFailed(fmt::format("the server's last frame before it closed was {}, not an ERROR frame",
                                      proto::describeFrame(*last)));
    }
    return {};
  };
  const auto explain = [&](const Result<Stop>& stop, std::string_view waiting) -> Outcome {
    if (!stop) return socketFailed(context.endpoint, stop.error(), "framed --raw", sentSoFar());
    switch (*stop) {
      case Stop::Done:
        return {};
      case Stop::Rejected:
        return serverFailed("the server sent a malformed frame: " + malformed);
      case Stop::PeerClosed:
        return judgeClose();
      case Stop::TimedOut:
        return timedOut(context.options.timeout, fmt::format("{} {}", waiting, sentSoFar()));
    }
    return {};
  };

  exchange->queue(net::asBytes(input));
  auto stop = exchange->run([&] { return exchange->sendDone(); }, onBytes);
  if (!stop || *stop != Stop::Done) return explain(stop, "sending the input:");

  if (context.options.closeMode == CloseMode::Abort) {
    // The close is not awaited, so it cannot be judged: only what came back so far can fail.
    return resetConnection(fd, context.endpoint);
  }
  if (context.options.closeMode == CloseMode::HalfClose && !exchange->sendFailure()) {
    if (auto shut = shutdownWriting(fd.get(), context.endpoint, "framed --raw", sentSoFar()); !shut)
      return shut;
  }
  stop = exchange->run(never, onBytes);
  if (!stop || *stop != Stop::PeerClosed)
    return explain(stop, "waiting for the server to answer with ERROR and close:");
  return judgeClose();
}

}  // namespace sockspec::client
