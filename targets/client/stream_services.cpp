#include "stream_services.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "connection_close.h"
#include "net/socket_ops.h"

namespace sockspec::client {

namespace {

using Stop = StreamExchange::Stop;

bool never() {
  return false;
}

// "'a' (0x61)" or "0x0a": one byte, as a person wants to see it in a mismatch.
std::string describeByte(char byte) {
  const auto value = static_cast<unsigned char>(byte);
  if (value >= 0x20 && value < 0x7f && value != '\\') return fmt::format("'{}' (0x{:02x})", byte, value);
  return fmt::format("0x{:02x}", value);
}

// Checks an echo against what was sent as it arrives, and passes it on to the replies.
class EchoChecker {
 public:
  EchoChecker(std::string_view sent, ReplySink& replies) : m_sent(sent), m_replies(replies) {}

  // False at the first byte that differs, or at a byte beyond what was sent.
  bool onBytes(net::Bytes bytes) {
    const std::string_view got = net::asText(bytes);
    m_replies.write(got);
    const std::string_view expected = m_sent.substr(m_received);
    const std::size_t compared = std::min(expected.size(), got.size());
    const auto [gotAt, expectedAt] =
        std::mismatch(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(compared), expected.begin());
    if (gotAt != got.begin() + static_cast<std::ptrdiff_t>(compared)) {
      const auto offset = static_cast<std::size_t>(gotAt - got.begin());
      m_mismatch =
          fmt::format("the echo differs from what was sent at byte {} of {}: sent {}, got {}",
                      m_received + offset, m_sent.size(), describeByte(*expectedAt), describeByte(*gotAt));
      return false;
    }
    if (got.size() > expected.size()) {
      m_mismatch = fmt::format("the server echoed at least {} bytes, more than the {} sent",
                               m_received + got.size(), m_sent.size());
      return false;
    }
    m_received += got.size();
    return true;
  }

  bool complete() const { return m_received == m_sent.size(); }
  std::size_t received() const { return m_received; }
  const std::string& mismatch() const { return m_mismatch; }

 private:
  std::string_view m_sent;
  ReplySink& m_replies;
  std::size_t m_received = 0;
  std::string m_mismatch;
};

Outcome runEcho(net::UniqueFd& fd, StreamExchange& exchange, std::string_view input,
                const ExchangeContext& context) {
  EchoChecker checker(input, context.replies);
  const auto onBytes = [&](net::Bytes bytes) { return checker.onBytes(bytes); };
  const auto progress = [&] {
    return fmt::format("after {} of {} bytes were sent and {} came back", exchange.bytesSent(), input.size(),
                       checker.received());
  };
  const CloseMode mode = context.options.closeMode;
  const auto finished = [&] {
    return exchange.sendDone() && (mode != CloseMode::Normal || checker.complete());
  };

  exchange.queue(net::asBytes(input));
  auto stop = exchange.run(finished, onBytes);
  if (!stop) return socketFailed(context.endpoint, stop.error(), "echo", progress());
  switch (*stop) {
    case Stop::Done:
      break;
    case Stop::Rejected:
      return serverFailed(checker.mismatch());
    case Stop::PeerClosed:
      return serverFailed("the server closed the connection " + progress());
    case Stop::TimedOut:
      if (!exchange.sendDone()) {
        return timedOut(context.options.timeout,
                        fmt::format("sending to the echo server: sent {} of {} bytes, {} came back",
                                    exchange.bytesSent(), input.size(), checker.received()));
      }
      return timedOut(context.options.timeout, fmt::format("waiting for the echo: got {} of {} bytes",
                                                           checker.received(), input.size()));
  }

  if (mode == CloseMode::Abort) return resetConnection(fd, context.endpoint);
  if (mode == CloseMode::Normal) return {};

  if (auto shut = shutdownWriting(fd.get(), context.endpoint, "echo", progress()); !shut) return shut;
  stop = exchange.run(never, onBytes);
  if (!stop) return socketFailed(context.endpoint, stop.error(), "echo after shutdown(SHUT_WR)", progress());
  switch (*stop) {
    case Stop::Done:
      break;
    case Stop::Rejected:
      return serverFailed(checker.mismatch());
    case Stop::PeerClosed:
      if (checker.complete()) return {};
      return serverFailed(fmt::format("the server closed the connection after echoing {} of {} bytes",
                                      checker.received(), input.size()));
    case Stop::TimedOut:
      if (checker.complete()) {
        return timedOut(context.options.timeout,
                        fmt::format("waiting for the server to close after shutdown(SHUT_WR) "
                                    "(all {} bytes came back)",
                                    input.size()));
      }
      return timedOut(context.options.timeout,
                      fmt::format("waiting for the echo after shutdown(SHUT_WR): got {} of {} bytes",
                                  checker.received(), input.size()));
  }
  return {};
}

Outcome runDiscard(net::UniqueFd& fd, StreamExchange& exchange, std::string_view input,
                   const ExchangeContext& context) {
  std::size_t unexpected = 0;
  // RFC 863: "Any data received is thrown away. No response is sent."
  const auto onBytes = [&](net::Bytes bytes) {
    unexpected += bytes.size();
    return false;
  };
  const auto progress = [&] {
    return fmt::format("after {} of {} bytes were sent", exchange.bytesSent(), input.size());
  };
  const auto sentBack = [&] {
    return serverFailed(
        fmt::format("the discard server sent {} bytes back; it must send nothing", unexpected));
  };

  exchange.queue(net::asBytes(input));
  auto stop = exchange.run([&] { return exchange.sendDone(); }, onBytes);
  if (!stop) return socketFailed(context.endpoint, stop.error(), "discard", progress());
  switch (*stop) {
    case Stop::Done:
      break;
    case Stop::Rejected:
      return sentBack();
    case Stop::PeerClosed:
      return serverFailed("the discard server closed the connection " + progress());
    case Stop::TimedOut:
      return timedOut(context.options.timeout,
                      fmt::format("sending to the discard server: sent {} of {} bytes", exchange.bytesSent(),
                                  input.size()));
  }
  if (context.options.closeMode == CloseMode::Abort) return resetConnection(fd, context.endpoint);

  // Both other modes end alike: our FIN tells the server we are done, its FIN that it saw everything.
  if (auto shut = shutdownWriting(fd.get(), context.endpoint, "discard", progress()); !shut) return shut;
  stop = exchange.run(never, onBytes);
  if (!stop)
    return socketFailed(context.endpoint, stop.error(), "discard after shutdown(SHUT_WR)", progress());
  switch (*stop) {
    case Stop::Done:
    case Stop::PeerClosed:
      return {};
    case Stop::Rejected:
      return sentBack();
    case Stop::TimedOut:
      printNote(
          fmt::format("all {} bytes were sent, but the discard server had not closed the connection "
                      "after the client's shutdown(SHUT_WR) by the end of the {} ms --timeout",
                      input.size(), context.options.timeout.count()));
      return {};
  }
  return {};
}

// For a service that only talks (chargen, daytime): the client sends nothing, so "after the last byte is
// sent" is at once. --half-close sends our FIN now and reading goes on; --abort resets the connection and
// ends the exchange. The outcome that ends it here (the reset, or a failed shutdown), else nothing.
std::optional<Outcome> closeBeforeListening(net::UniqueFd& fd, const ExchangeContext& context,
                                            std::string_view service) {
  if (context.options.closeMode == CloseMode::HalfClose) {
    if (auto shut = shutdownWriting(fd.get(), context.endpoint, service); !shut) return shut;
  }
  if (context.options.closeMode == CloseMode::Abort) return resetConnection(fd, context.endpoint);
  return std::nullopt;
}

// Passes every run of received bytes on to the replies; never ends the exchange.
StreamExchange::ByteHandler copyToReplies(const ExchangeContext& context) {
  return [&replies = context.replies](net::Bytes bytes) {
    replies.write(net::asText(bytes));
    return true;
  };
}

Outcome runChargen(net::UniqueFd& fd, StreamExchange& exchange, const ExchangeContext& context) {
  const std::uint64_t wanted = context.options.maxBytes;
  if (auto closed = closeBeforeListening(fd, context, "chargen")) return *closed;

  exchange.limitReading(wanted);
  auto stop = exchange.run([&] { return exchange.bytesReceived() >= wanted; }, copyToReplies(context));
  const auto progress = [&] { return fmt::format("after {} of {} bytes", exchange.bytesReceived(), wanted); };
  if (!stop) return socketFailed(context.endpoint, stop.error(), "chargen", progress());
  switch (*stop) {
    case Stop::Done:
    case Stop::Rejected:
      return {};
    case Stop::PeerClosed:
      return serverFailed("the chargen server closed the connection " + progress());
    case Stop::TimedOut:
      return timedOut(context.options.timeout, fmt::format("waiting for chargen: got {} of {} bytes",
                                                           exchange.bytesReceived(), wanted));
  }
  return {};
}

Outcome runDaytime(net::UniqueFd& fd, StreamExchange& exchange, const ExchangeContext& context) {
  if (auto closed = closeBeforeListening(fd, context, "daytime")) return *closed;

  auto stop = exchange.run(never, copyToReplies(context));
  if (!stop) {
    return socketFailed(context.endpoint, stop.error(), "daytime",
                        fmt::format("after {} bytes", exchange.bytesReceived()));
  }
  switch (*stop) {
    case Stop::Done:
    case Stop::Rejected:
      return {};
    case Stop::PeerClosed:
      // RFC 867: the server sends the date and time "as a ascii character string" and closes.
      if (exchange.bytesReceived() == 0)
        return serverFailed(
            "the daytime server closed the connection without "
            "sending the time");
      return {};
    case Stop::TimedOut:
      return timedOut(context.options.timeout,
                      fmt::format("waiting for the daytime server to close the connection: got {} bytes",
                                  exchange.bytesReceived()));
  }
  return {};
}

}  // namespace

Outcome runStreamService(net::UniqueFd& fd, std::string_view input, const ExchangeContext& context) {
  auto exchange = StreamExchange::create(fd.get(), context.streamSettings(), context.deadline);
  if (!exchange) return internalFailed(exchange.error().describe());
  switch (context.options.service) {
    case Service::Echo:
      return runEcho(fd, *exchange, input, context);
    case Service::Discard:
      return runDiscard(fd, *exchange, input, context);
    case Service::Chargen:
      return runChargen(fd, *exchange, context);
    case Service::Daytime:
      return runDaytime(fd, *exchange, context);
    case Service::Framed:
      break;
  }
  return internalFailed(fmt::format("the {} service does not run as a plain stream exchange",
                                    serviceName(context.options.service)));
}

}  // namespace sockspec::client
