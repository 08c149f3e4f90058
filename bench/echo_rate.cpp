// rate: small-message ping-pong over many connections, counted in round trips per second.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "base/errno_names.h"
#include "connection_opener.h"
#include "echo_modes.h"
#include "net/epoll_set.h"
#include "mode_report.h"
#include "net/socket_ops.h"
#include "stream_pattern.h"

namespace sockspec::bench {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view kMode = "rate";

struct PingPong {
  net::UniqueFd fd;
  std::size_t index = 0;  // connection number, for messages
  StreamPattern pattern{0};
  std::uint64_t offset = 0;  // stream offset of the current message
  std::vector<std::uint8_t> message;
  std::size_t sent = 0;
  std::size_t received = 0;
  std::uint64_t measured = 0;  // round trips completed inside the measured window
  bool wantWrite = false;
};

// A failure on one connection: the text for stderr and one word for the result line.
struct PingPongFailure {
  std::string message;
  std::string cause;
};

class PingPongLoop {
 public:
  PingPongLoop(net::EpollSet& epoll, std::vector<PingPong>& connections)
      : m_epoll(epoll), m_connections(connections) {}

  std::optional<PingPongFailure> startRound(std::size_t key) {
    PingPong& c = m_connections[key];
    c.pattern.fill(c.message, c.offset);
    c.sent = 0;
    c.received = 0;
    return sendRest(key);
  }

  std::optional<PingPongFailure> sendRest(std::size_t key) {
    PingPong& c = m_connections[key];
    // Bounded: each send either advances `sent` or stops the loop.
    while (c.sent < c.message.size()) {
      auto sent = net::sendBytes(c.fd.get(), net::Bytes(c.message).subspan(c.sent));
      if (!sent) {
        if (sent.error().code == EAGAIN) break;
        return sysFailure(c, sent.error());
      }
      c.sent += *sent;
    }
    bool wantWrite = c.sent < c.message.size();
    if (wantWrite != c.wantWrite) {
      if (auto set = m_epoll.modify(c.fd.get(), EPOLLIN | (wantWrite ? EPOLLOUT : 0u), key); !set) {
        return sysFailure(c, set.error());
      }
      c.wantWrite = wantWrite;
    }
    return std::nullopt;
  }

  // Reads what has been echoed; true in `completed` when this finished the round trip.
  std::optional<PingPongFailure> receive(std::size_t key, bool& completed) {
    PingPong& c = m_connections[key];
    completed = false;
    std::size_t want = c.message.size() - c.received;
    m_scratch.resize(std::max(m_scratch.size(), want));
    auto got = net::recvBytes(c.fd.get(), net::MutableBytes(m_scratch.data(), want));
    if (!got) {
      if (got.error().code == EAGAIN) return std::nullopt;
      return sysFailure(c, got.error());
    }
    if (*got == 0) {
      return PingPongFailure{
          fmt::format("connection {}: the server closed the connection after echoing {} of "
                      "the {} bytes of the current message (EOF)",
                      c.index, c.received, c.message.size()),
          "EOF"};
    }
    const std::uint8_t* expected = c.message.data() + c.received;
    if (std::memcmp(expected, m_scratch.data(), *got) != 0) {
      std::size_t at = 0;
      while (at < *got && expected[at] == m_scratch[at]) ++at;
      return PingPongFailure{
          fmt::format("connection {}: echoed byte {} of the stream is 0x{:02x}, expected 0x{:02x}", c.index,
                      c.offset + c.received + at, m_scratch[at], expected[at]),
          "MISMATCH"};
    }
    c.received += *got;
    if (c.received == c.message.size()) {
      completed = true;
      c.offset += c.message.size();
    }
    return std::nullopt;
  }

 private:
  static PingPongFailure sysFailure(const PingPong& c, const SysError& error) {
    return PingPongFailure{fmt::format("connection {}: {}", c.index, error.describe()),
                           errnoName(error.code)};
  }

  net::EpollSet& m_epoll;
  std::vector<PingPong>& m_connections;
  std::vector<std::uint8_t> m_scratch;
};

std::chrono::milliseconds toMilliseconds(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000.0));
}

}  // namespace

int runRate(const RateOptions& options) {
  if (options.connections == 0 || options.messageSize == 0 || options.seconds <= 0 ||
      options.warmupSeconds < 0) {
    return reportFailure(kMode, kExitUsage, "USAGE",
                         "--connections and --message-size must be at least 1, --seconds above 0");
  }
  double deadlineSeconds = options.common.deadlineSeconds > 0 ? options.common.deadlineSeconds
                                                              : options.warmupSeconds + options.seconds + 60;
  Deadline deadline = Deadline::after(toMilliseconds(deadlineSeconds));

  OpenOptions open{options.connections, options.common.inFlight, true, options.common.connectTimeout, false};
  OpenedConnections opened = openEchoConnections(options.common.endpoint, open, deadline);
  if (opened.failure) return reportOpenFailure(kMode, options.common.endpoint, options.connections, opened);

  auto epoll = net::EpollSet::create();
  if (!epoll) {
    return reportCallFailure(kMode, epoll.error());
  }
  std::vector<PingPong> connections(opened.connections.size());
  for (std::size_t key = 0; key < connections.size(); ++key) {
    PingPong& c = connections[key];
    c.fd = std::move(opened.connections[key].fd);
    c.index = opened.connections[key].index;
    c.pattern = StreamPattern::forConnection(c.index);
    c.offset = opened.streamOffset;
    c.message.resize(options.messageSize);
    if (auto added = epoll->add(c.fd.get(), EPOLLIN, key); !added) {
      return reportCallFailure(kMode, added.error());
    }
  }

  PingPongLoop loop(*epoll, connections);
  auto started = Clock::now();
  auto windowOpens = started + toMilliseconds(options.warmupSeconds);
  auto windowCloses = windowOpens + toMilliseconds(options.seconds);
  for (std::size_t key = 0; key < connections.size(); ++key) {
    if (auto failed = loop.startRound(key)) {
      return reportFailure(kMode, kExitCheckFailed, failed->cause, failed->message);
    }
  }

  bool measuring = false;
  auto measuredFrom = windowOpens;
  std::uint64_t measured = 0;
  auto now = Clock::now();
  // Bounded by the window's end (and the overall deadline, should the window lie beyond it).
  while (now < windowCloses) {
    if (deadline.expired()) {
      return reportFailure(kMode, kExitCheckFailed, "DEADLINE",
                           "the overall deadline passed before the window closed");
    }
    auto events = epoll->wait(Deadline::at(windowCloses).orEarlier(deadline));
    if (!events) {
      return reportCallFailure(kMode, events.error());
    }
    for (const epoll_event& event : *events) {
      auto key = static_cast<std::size_t>(event.data.u64);
      if ((event.events & EPOLLOUT) != 0) {
        if (auto failed = loop.sendRest(key)) {
          return reportFailure(kMode, kExitCheckFailed, failed->cause, failed->message);
        }
      }
      if ((event.events & (EPOLLIN | EPOLLERR | EPOLLHUP)) == 0) continue;
      bool completed = false;
      if (auto failed = loop.receive(key, completed)) {
        return reportFailure(kMode, kExitCheckFailed, failed->cause, failed->message);
      }
      if (!completed) continue;
      if (measuring) {
        ++measured;
        ++connections[key].measured;
      }
      if (auto failed = loop.startRound(key)) {
        return reportFailure(kMode, kExitCheckFailed, failed->cause, failed->message);
      }
    }
    now = Clock::now();
    if (!measuring && now >= windowOpens) {
      measuring = true;
      measuredFrom = now;
    }
  }

  double seconds = std::chrono::duration<double>(now - measuredFrom).count();
  std::uint64_t fewest = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t most = 0;
  for (const PingPong& c : connections) {
    fewest = std::min(fewest, c.measured);
    most = std::max(most, c.measured);
  }
  if (measured == 0 || seconds <= 0) {
    return reportFailure(kMode, kExitCheckFailed, "STALLED",
                         fmt::format("no round trip completed in the {:.2f} s window", options.seconds));
  }
  double rate = static_cast<double>(measured) / seconds;
  std::string fields = fmt::format(
      "connections={} message_size={} seconds={:.3f} round_trips={} rate={:.0f} "
      "fewest_per_connection={} most_per_connection={}",
      connections.size(), options.messageSize, seconds, measured, rate, fewest, most);
  if (fewest == 0) {
    return reportFailure(
        kMode, kExitCheckFailed, "STARVED",
        "at least one connection completed no round trip in the window: the server starves some", fields);
  }
  fmt::print(
      "rate: {} connections, {}-byte messages, {:.3f} s: {} round trips, {:.0f} round trips/s "
      "(per connection: fewest {}, most {})\n",
      connections.size(), options.messageSize, seconds, measured, rate, fewest, most);
  fmt::print("result mode=rate status=ok {}\n", fields);
  return kExitOk;
}

}  // namespace sockspec::bench
