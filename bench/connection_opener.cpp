#include "connection_opener.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <array>

#include "base/errno_names.h"
#include "net/epoll_set.h"
#include "net/sock_addr.h"
#include "net/socket_ops.h"
#include "stream_pattern.h"

namespace sockspec::bench {

namespace {

using Clock = std::chrono::steady_clock;

enum class Phase { Idle, Connecting, Probing };

struct Slot {
  Phase phase = Phase::Idle;
  net::UniqueFd fd;
  std::size_t index = 0;
  std::size_t sent = 0;
  std::size_t received = 0;
  Clock::time_point giveUpAt{};
};

class Opener {
 public:
  Opener(const net::Endpoint& endpoint, const net::SockAddr& address, const OpenOptions& options,
         net::EpollSet& epoll, OpenedConnections& result)
      : m_endpoint(endpoint),
        m_address(address),
        m_options(options),
        m_epoll(epoll),
        m_result(result),
        m_slots(options.maxInFlight == 0 ? 1 : options.maxInFlight) {
    for (std::size_t i = m_slots.size(); i > 0; --i) m_free.push_back(i - 1);
  }

  void run(Deadline deadline) {
    std::size_t next = 0;
    // Bounded: every pass starts connections, finishes or drops some, or waits; the deadline ends it.
    for (;;) {
      while (!m_result.failure && next < m_options.count && !m_free.empty()) start(next++);
      bool idle = m_free.size() == m_slots.size();
      if (idle && (m_result.failure || next == m_options.count)) break;
      if (m_result.failure && !m_options.drainAfterFailure) break;
      if (deadline.expired()) {
        record(OpenStage::Overall, oldestInFlight(next), "the overall deadline passed while opening",
               "DEADLINE");
        break;
      }
      auto events = m_epoll.wait(deadline.orEarlier(earliestGiveUp()));
      if (!events) {
        record(OpenStage::Overall, next, events.error().describe(), errnoName(events.error().code));
        break;
      }
      for (const epoll_event& event : *events) {
        auto slotNumber = static_cast<std::size_t>(event.data.u64);
        if (m_slots[slotNumber].phase != Phase::Idle) handle(slotNumber, event.events);
      }
      expireSlow();
    }
    // Whatever is still in flight is closed: it was never proven open.
    for (Slot& slot : m_slots) slot = Slot{};
  }

 private:
  // Keeps the first failure only: later ones while draining are consequences or repeats.
  void record(OpenStage stage, std::size_t index, std::string reason, std::string cause) {
    if (!m_result.failure) m_result.failure = OpenFailure{stage, index, std::move(reason), std::move(cause)};
  }

  // Records a failure of the connection in `slotNumber` and closes it.
  void drop(std::size_t slotNumber, OpenStage stage, std::string reason, std::string cause) {
    record(stage, m_slots[slotNumber].index, std::move(reason), std::move(cause));
    release(slotNumber);
  }
  void dropSys(std::size_t slotNumber, OpenStage stage, const SysError& error) {
    drop(slotNumber, stage, error.describe(), errnoName(error.code));
  }

  // The lowest connection number still opening, or `next` when none is.
  std::size_t oldestInFlight(std::size_t next) const {
    std::size_t oldest = next;
    for (const Slot& slot : m_slots) {
      if (slot.phase != Phase::Idle) oldest = std::min(oldest, slot.index);
    }
    return oldest;
  }

  Deadline earliestGiveUp() const {
    auto earliest = Clock::time_point::max();
    for (const Slot& slot : m_slots) {
      if (slot.phase != Phase::Idle) earliest = std::min(earliest, slot.giveUpAt);
    }
    return Deadline::at(earliest);
  }

  void expireSlow() {
    auto now = Clock::now();
    for (std::size_t slotNumber = 0; slotNumber < m_slots.size(); ++slotNumber) {
      const Slot& slot = m_slots[slotNumber];
      if (slot.phase == Phase::Idle || now < slot.giveUpAt) continue;
      bool connecting = slot.phase == Phase::Connecting;
      drop(slotNumber, connecting ? OpenStage::Connect : OpenStage::Probe,
           fmt::format("{}: no {} within {} ms (ETIMEDOUT)", connecting ? "connect" : "probe",
                       connecting ? "answer" : "echo", m_options.perConnectionTimeout.count()),
           "ETIMEDOUT");
    }
  }

  void start(std::size_t index) {
    auto fd = net::openSocket(net::familyOf(m_endpoint), SOCK_STREAM, 0, net::Blocking::No);
    if (!fd) return record(OpenStage::Connect, index, fd.error().describe(), errnoName(fd.error().code));
    std::size_t slotNumber = m_free.back();
    m_free.pop_back();
    Slot& slot = m_slots[slotNumber];
    slot =
        Slot{Phase::Connecting, std::move(*fd), index, 0, 0, Clock::now() + m_options.perConnectionTimeout};

    if (m_endpoint.transport == net::Transport::Tcp) {
      // Ping-pong never has two small segments in flight, but a partial send must not wait for an ACK.
      if (auto set = net::setIntOption(slot.fd.get(), IPPROTO_TCP, TCP_NODELAY, 1); !set) {
        return dropSys(slotNumber, OpenStage::Overall, set.error());
      }
    }
    auto connected = net::connectSocket(slot.fd.get(), m_address);
    if (!connected && connected.error().code != EINPROGRESS) {
      // A unix stream connect to a full backlog says EAGAIN at once (unix_stream_connect()): a failure too.
      return dropSys(slotNumber, OpenStage::Connect, connected.error());
    }
    if (auto added = m_epoll.add(slot.fd.get(), EPOLLOUT, slotNumber); !added) {
      dropSys(slotNumber, OpenStage::Overall, added.error());
    }
  }

  void release(std::size_t slotNumber) {
    m_slots[slotNumber] = Slot{};
    m_free.push_back(slotNumber);
  }

  void finish(std::size_t slotNumber) {
    Slot& slot = m_slots[slotNumber];
    if (auto removed = m_epoll.remove(slot.fd.get()); !removed) {
      return dropSys(slotNumber, OpenStage::Overall, removed.error());
    }
    m_result.connections.push_back(OpenConnection{std::move(slot.fd), slot.index});
    release(slotNumber);
  }

  void handle(std::size_t slotNumber, std::uint32_t events) {
    Slot& slot = m_slots[slotNumber];
    if (slot.phase == Phase::Connecting) {
      auto outcome = net::pendingError(slot.fd.get());
      if (!outcome) return dropSys(slotNumber, OpenStage::Overall, outcome.error());
      if (*outcome != 0) return dropSys(slotNumber, OpenStage::Connect, SysError{*outcome, "connect"});
      if (!m_options.probe) return finish(slotNumber);
      slot.phase = Phase::Probing;
      events = EPOLLOUT;
    }
    std::array<std::uint8_t, kProbeBytes> probe{};
    StreamPattern pattern = StreamPattern::forConnection(slot.index);
    if ((events & EPOLLOUT) != 0 && slot.sent < probe.size()) {
      pattern.fill(probe, 0);
      auto sent = net::sendBytes(slot.fd.get(), net::Bytes(probe).subspan(slot.sent));
      if (!sent && sent.error().code != EAGAIN) return dropSys(slotNumber, OpenStage::Probe, sent.error());
      if (sent) slot.sent += *sent;
      std::uint32_t want = EPOLLIN | (slot.sent < probe.size() ? EPOLLOUT : 0u);
      if (auto set = m_epoll.modify(slot.fd.get(), want, slotNumber); !set) {
        return dropSys(slotNumber, OpenStage::Overall, set.error());
      }
    }
    if ((events & (EPOLLIN | EPOLLERR | EPOLLHUP)) == 0) return;
    std::array<std::uint8_t, kProbeBytes> echoed{};
    auto got = net::recvBytes(slot.fd.get(), net::MutableBytes(echoed).first(kProbeBytes - slot.received));
    if (!got) {
      if (got.error().code == EAGAIN) return;
      return dropSys(slotNumber, OpenStage::Probe, SysError{got.error().code, "probe recv"});
    }
    if (*got == 0) {
      return drop(slotNumber, OpenStage::Probe,
                  fmt::format("probe: the server closed the connection after echoing {} of {} bytes (EOF)",
                              slot.received, kProbeBytes),
                  "EOF");
    }
    net::Bytes chunk(echoed.data(), *got);
    if (auto bad = pattern.firstMismatch(chunk, slot.received)) {
      std::uint64_t at = slot.received + *bad;
      return drop(slotNumber, OpenStage::Probe,
                  fmt::format("probe: echoed byte {} is 0x{:02x}, expected 0x{:02x}", at, chunk[*bad],
                              pattern.byteAt(at)),
                  "MISMATCH");
    }
    slot.received += *got;
    if (slot.received == kProbeBytes) finish(slotNumber);
  }

  const net::Endpoint& m_endpoint;
  const net::SockAddr& m_address;
  const OpenOptions& m_options;
  net::EpollSet& m_epoll;
  OpenedConnections& m_result;
  std::vector<Slot> m_slots;
  std::vector<std::size_t> m_free;
};

}  // namespace

OpenedConnections openEchoConnections(const net::Endpoint& endpoint, const OpenOptions& options,
                                      Deadline deadline) {
  OpenedConnections result;
  result.streamOffset = options.probe ? kProbeBytes : 0;
  auto started = Clock::now();
  auto address = net::toSockAddr(endpoint);
  if (!address) {
    result.failure = OpenFailure{OpenStage::Connect, 0, address.error(), "EINVAL"};
    return result;
  }
  if (!net::isConnectionOriented(endpoint.transport) ||
      net::socketTypeOf(endpoint.transport) != SOCK_STREAM) {
    result.failure = OpenFailure{
        OpenStage::Connect, 0,
        fmt::format("{}: the echo load needs a stream endpoint (tcp:// or unix://)", endpoint.toString()),
        "EINVAL"};
    return result;
  }
  auto epoll = net::EpollSet::create(options.maxInFlight);
  if (!epoll) {
    result.failure =
        OpenFailure{OpenStage::Connect, 0, epoll.error().describe(), errnoName(epoll.error().code)};
    return result;
  }
  result.connections.reserve(options.count);
  Opener(endpoint, *address, options, *epoll, result).run(deadline);
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return result;
}

}  // namespace sockspec::bench
