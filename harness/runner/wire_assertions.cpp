#include "runner/wire_assertions.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace sockspec::runner {

namespace {

using capture::NumberedPacket;

bool has(const NumberedPacket& p, std::uint8_t flag) {
  return (p.packet.tcpFlags & flag) != 0;
}
bool isSyn(const NumberedPacket& p) {
  return has(p, capture::kTcpSyn) && !has(p, capture::kTcpAck);
}
bool isSynAck(const NumberedPacket& p) {
  return has(p, capture::kTcpSyn) && has(p, capture::kTcpAck);
}
bool isFin(const NumberedPacket& p) {
  return has(p, capture::kTcpFin);
}
bool isRst(const NumberedPacket& p) {
  return has(p, capture::kTcpRst);
}

// The sequence number a segment's receiver acknowledges once it has it all: SYN and FIN count one each
// (RFC 9293 section 3.4). Modulo 2^32, as on the wire.
std::uint32_t nextSequence(const NumberedPacket& p) {
  std::uint32_t length = p.packet.payloadLength + (has(p, capture::kTcpSyn) ? 1u : 0u) + (isFin(p) ? 1u : 0u);
  return p.packet.seq + length;
}

std::string_view segmentName(const NumberedPacket& p) {
  if (isRst(p)) return "RST";
  if (isSynAck(p)) return "SYN-ACK";
  if (isSyn(p)) return "SYN";
  if (isFin(p)) return "FIN";
  return p.packet.payloadLength > 0 ? "data" : "ACK";
}

// The packets of one connection, in capture order, and which way each went.
class Connection {
 public:
  Connection(const ConnectionEnds& ends, std::span<const NumberedPacket> all)
      : m_ends(ends), m_total(all.size()) {
    for (const auto& p : all) {
      bool out = p.packet.source == ends.local && p.packet.destination == ends.peer;
      bool in = p.packet.source == ends.peer && p.packet.destination == ends.local;
      if (out || in) m_packets.push_back({&p, out});
    }
  }

  struct Entry {
    const NumberedPacket* packet;
    bool fromLocal;
  };

  std::string local() const { return capture::formatEndpoint(m_ends.local); }
  std::string peer() const { return capture::formatEndpoint(m_ends.peer); }
  std::string from(bool fromLocal) const { return fromLocal ? local() : peer(); }
  std::string to(bool fromLocal) const { return fromLocal ? peer() : local(); }

  // The first packet from that side (or either side, `side` empty) that `match` accepts, at or after `after`.
  template <typename Match>
  const Entry* first(std::optional<bool> side, Match match, std::size_t after = 0) const {
    for (std::size_t i = after; i < m_packets.size(); ++i) {
      const Entry& entry = m_packets[i];
      if ((!side || entry.fromLocal == *side) && match(*entry.packet)) return &entry;
    }
    return nullptr;
  }
  template <typename Match>
  std::vector<std::uint64_t> numbers(std::optional<bool> side, Match match) const {
    std::vector<std::uint64_t> found;
    for (const Entry& entry : m_packets) {
      if ((!side || entry.fromLocal == *side) && match(*entry.packet)) found.push_back(entry.packet->number);
    }
    return found;
  }
  std::size_t indexOf(const Entry* entry) const { return static_cast<std::size_t>(entry - m_packets.data()); }

  // "packets #1-#9 of this connection (from 127.0.0.1:40001: SYN #1, FIN #7; from ...: SYN-ACK #2)".
  std::string scope() const {
    if (m_packets.empty()) {
      return fmt::format("the capture ({} TCP packet{}, none between {} and {})", m_total,
                         m_total == 1 ? "" : "s", local(), peer());
    }
    return fmt::format("packets #{}-#{} of this connection ({}; {})", m_packets.front().packet->number,
                       m_packets.back().packet->number, landmarks(true), landmarks(false));
  }

 private:
  // The SYN, SYN-ACK, FIN and RST segments one side sent: what a reader looks for first in a trace.
  std::string landmarks(bool fromLocal) const {
    std::vector<std::string> marks;
    for (const Entry& entry : m_packets) {
      const NumberedPacket& p = *entry.packet;
      if (entry.fromLocal != fromLocal || !(has(p, capture::kTcpSyn) || isFin(p) || isRst(p))) continue;
      // Bounded message: the first few landmarks say enough.
      if (marks.size() == 6) {
        marks.emplace_back("...");
        break;
      }
      marks.push_back(fmt::format("{} #{}", segmentName(p), p.number));
    }
    return fmt::format("from {}: {}", from(fromLocal),
                       marks.empty() ? "no SYN, FIN or RST" : fmt::format("{}", fmt::join(marks, ", ")));
  }

  ConnectionEnds m_ends;
  std::size_t m_total;
  std::vector<Entry> m_packets;
};

std::string numberList(const std::vector<std::uint64_t>& numbers) {
  std::vector<std::string> items;
  for (auto n : numbers) items.push_back(fmt::format("#{}", n));
  return fmt::format("{}", fmt::join(items, ", "));
}

std::string handshake(const Connection& c) {
  std::string expected = fmt::format("expected a completed handshake (SYN, SYN-ACK, ACK) between {} and {}",
                                     c.local(), c.peer());
  const auto* syn = c.first(std::nullopt, isSyn);
  if (syn == nullptr) return fmt::format("{}; no SYN in {}", expected, c.scope());
  bool initiator = syn->fromLocal;
  std::uint32_t isn = syn->packet->packet.seq;
  const auto* synAck =
      c.first(!initiator, [&](const NumberedPacket& p) { return isSynAck(p) && p.packet.ack == isn + 1; });
  if (synAck == nullptr) {
    return fmt::format("{}; SYN #{} got no SYN-ACK in {}", expected, syn->packet->number, c.scope());
  }
  std::uint32_t answer = nextSequence(*synAck->packet);
  const auto* ack = c.first(
      initiator,
      [&](const NumberedPacket& p) {
        return has(p, capture::kTcpAck) && !has(p, capture::kTcpSyn) && !isRst(p) && p.packet.ack == answer;
      },
      c.indexOf(synAck));
  if (ack == nullptr) {
    return fmt::format("{}; SYN-ACK #{} was never acknowledged in {}", expected, synAck->packet->number,
                       c.scope());
  }
  return {};
}

std::string firstFin(const Connection& c) {
  std::string expected = fmt::format("expected the first FIN from {} to {}", c.local(), c.peer());
  const auto* fin = c.first(std::nullopt, isFin);
  if (fin == nullptr) return fmt::format("{}; no FIN in {}", expected, c.scope());
  if (!fin->fromLocal) {
    return fmt::format("{}; the first FIN is #{}, from {}, in {}", expected, fin->packet->number, c.peer(),
                       c.scope());
  }
  return {};
}

std::string reset(const Connection& c, bool fromLocal) {
  if (c.first(fromLocal, isRst) != nullptr) return {};
  return fmt::format("expected an RST from {} to {}; none in {}", c.from(fromLocal), c.to(fromLocal),
                     c.scope());
}

std::string noReset(const Connection& c) {
  auto resets = c.numbers(true, isRst);
  if (resets.empty()) return {};
  return fmt::format("expected no RST from {} to {}; RST at {} in {}", c.local(), c.peer(),
                     numberList(resets), c.scope());
}

std::string finData(const Connection& c) {
  std::string expected = fmt::format("expected the FIN from {} to {} to carry data", c.local(), c.peer());
  const auto* fin = c.first(true, isFin);
  if (fin == nullptr) return fmt::format("{}; it sent no FIN in {}", expected, c.scope());
  if (fin->packet->packet.payloadLength == 0) {
    return fmt::format("{}; FIN #{} carries none, in {}", expected, fin->packet->number, c.scope());
  }
  return {};
}

std::string noFin(const Connection& c) {
  auto fins = c.numbers(true, isFin);
  if (fins.empty()) return {};
  return fmt::format("expected no FIN from {} to {}; FIN at {} in {}", c.local(), c.peer(), numberList(fins),
                     c.scope());
}

std::string synRetransmits(const Connection& c, std::int64_t expectedCount) {
  auto syns = c.numbers(true, isSyn);
  std::string expected = fmt::format("expected {} SYN retransmission{} from {} to {}", expectedCount,
                                     expectedCount == 1 ? "" : "s", c.local(), c.peer());
  if (syns.empty()) return fmt::format("{}; it sent no SYN, in {}", expected, c.scope());
  auto retransmits = static_cast<std::int64_t>(syns.size()) - 1;
  if (retransmits == expectedCount) return {};
  return fmt::format("{}, saw {} (SYN at {}) in {}", expected, retransmits, numberList(syns), c.scope());
}

std::string noSynAck(const Connection& c) {
  auto answers = c.numbers(false, isSynAck);
  if (answers.empty()) return {};
  return fmt::format("expected no SYN-ACK from {} to {}; SYN-ACK at {} in {}", c.peer(), c.local(),
                     numberList(answers), c.scope());
}

// RFC 9293 section 3.6: the side that sent the first FIN, and then received and acknowledged the peer's FIN,
// is the one in TIME-WAIT; an RST would have ended the connection at once instead.
std::string timeWait(const Connection& c) {
  std::string expected = fmt::format(
      "expected {} to be left in TIME_WAIT (first FIN from it, the peer's FIN "
      "acknowledged, no RST)",
      c.local());
  const auto* fin = c.first(std::nullopt, isFin);
  if (fin == nullptr) return fmt::format("{}; no FIN in {}", expected, c.scope());
  if (!fin->fromLocal) {
    return fmt::format("{}; the first FIN is #{}, from {}, in {}", expected, fin->packet->number, c.peer(),
                       c.scope());
  }
  const auto* peerFin = c.first(false, isFin);
  if (peerFin == nullptr) return fmt::format("{}; no FIN from {} in {}", expected, c.peer(), c.scope());
  std::uint32_t finEnd = nextSequence(*peerFin->packet);
  const auto* ack = c.first(
      true,
      [&](const NumberedPacket& p) {
        return has(p, capture::kTcpAck) && !isRst(p) && p.packet.ack == finEnd;
      },
      c.indexOf(peerFin));
  if (ack == nullptr) {
    return fmt::format("{}; FIN #{} from {} was never acknowledged in {}", expected, peerFin->packet->number,
                       c.peer(), c.scope());
  }
  auto resets = c.numbers(std::nullopt, isRst);
  if (!resets.empty()) return fmt::format("{}; RST at {} in {}", expected, numberList(resets), c.scope());
  return {};
}

}  // namespace

std::string wireAssertionMismatch(scenario::WireAssertion assertion, std::int64_t count,
                                  const ConnectionEnds& ends,
                                  std::span<const capture::NumberedPacket> packets) {
  using scenario::WireAssertion;
  Connection connection(ends, packets);
  // One case per assertion and no default: -Wswitch names one without a verdict.
  switch (assertion) {
    case WireAssertion::Handshake: return handshake(connection);
    case WireAssertion::FirstFin: return firstFin(connection);
    case WireAssertion::Rst: return reset(connection, true);
    case WireAssertion::RstTo: return reset(connection, false);
    case WireAssertion::NoRst: return noReset(connection);
    case WireAssertion::FinData: return finData(connection);
    case WireAssertion::NoFin: return noFin(connection);
    case WireAssertion::SynRetransmits: return synRetransmits(connection, count);
    case WireAssertion::NoSynAck: return noSynAck(connection);
    case WireAssertion::TimeWait: return timeWait(connection);
  }
  return fmt::format("unknown wire assertion {}", static_cast<int>(assertion));
}

}  // namespace sockspec::runner
