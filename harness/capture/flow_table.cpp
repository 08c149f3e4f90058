#include "capture/flow_table.h"

#include <algorithm>
#include <cctype>

namespace sockspec::capture {

namespace {

// Sequence-space comparison (RFC 1982 serial arithmetic, as the kernel's before()/after() in net/tcp.h).
bool seqBefore(std::uint32_t a, std::uint32_t b) {
  return static_cast<std::int32_t>(a - b) < 0;
}
bool seqAfter(std::uint32_t a, std::uint32_t b) {
  return seqBefore(b, a);
}

void addHistoryLetter(Flow& flow, int direction, char letter) {
  // Each letter is recorded once per direction, upper case for the originator (as Zeek does for most).
  auto bit = std::uint32_t{1} << (letter - 'a');
  auto index = static_cast<std::size_t>(direction);
  if ((flow.letters[index] & bit) != 0) return;
  flow.letters[index] |= bit;
  flow.history.push_back(direction == 0 ? static_cast<char>(std::toupper(letter)) : letter);
}

}  // namespace

SegmentKind trackSegment(SequenceTracker& tracker, std::uint32_t seq, std::uint32_t length) {
  std::uint32_t end = seq + length;
  if (!tracker.started) {
    tracker.started = true;
    tracker.highest = end;
    return SegmentKind::New;
  }
  if (!seqBefore(seq, tracker.highest)) {
    if (seqAfter(seq, tracker.highest)) {
      // A gap: remember it so that the segment filling it later counts as out of order, not retransmitted.
      if (tracker.holes.size() == SequenceTracker::kMaxHoles) tracker.holes.erase(tracker.holes.begin());
      tracker.holes.emplace_back(tracker.highest, seq);
    }
    tracker.highest = end;
    return SegmentKind::New;
  }
  // Below the highest: out of order if it falls in a hole (which it then fills), else a retransmission.
  for (std::size_t i = 0; i < tracker.holes.size(); ++i) {
    auto [begin, holeEnd] = tracker.holes[i];
    if (seqBefore(seq, begin) || !seqBefore(seq, holeEnd)) continue;
    std::uint32_t fillEnd = seqBefore(end, holeEnd) ? end : holeEnd;
    tracker.holes.erase(tracker.holes.begin() + static_cast<std::ptrdiff_t>(i));
    if (seqAfter(seq, begin)) tracker.holes.emplace_back(begin, seq);
    if (seqBefore(fillEnd, holeEnd)) tracker.holes.emplace_back(fillEnd, holeEnd);
    // Filling the middle of a hole splits it in two; the bound holds by forgetting the oldest, as for a gap.
    // Found by the pcap_reader fuzz target (corpus/regressions/pcap_reader/): without it a hostile capture
    // grew the list, and the scan above, by one entry per packet.
    if (tracker.holes.size() > SequenceTracker::kMaxHoles) tracker.holes.erase(tracker.holes.begin());
    if (seqAfter(end, tracker.highest)) tracker.highest = end;
    return SegmentKind::OutOfOrder;
  }
  if (seqAfter(end, tracker.highest)) tracker.highest = end;
  return SegmentKind::Retransmission;
}

std::string Flow::state() const {
  if (transport == IpProtocol::Udp) {
    // Zeek for UDP: both directions SF, originator only S0 (one direction is always the originator here).
    return packets[1] != 0 ? "SF" : "S0";
  }
  bool attempt = sawSyn[0];
  bool answered = sawSynAck[1];
  if (attempt && !answered) {
    if (sawRst[1]) return "REJ";
    if (sawRst[0]) return "RSTOS0";
    if (sawFin[0]) return "SH";
    return "S0";
  }
  if (!attempt && answered) {
    if (sawRst[1]) return "RSTRH";
    if (sawFin[1]) return "SHR";
    return "OTH";
  }
  if (!attempt) return "OTH";
  if (firstRstDirection == 0) return "RSTO";
  if (firstRstDirection == 1) return "RSTR";
  if (sawFin[0] && sawFin[1]) return "SF";
  if (sawFin[0]) return "S2";
  if (sawFin[1]) return "S3";
  return "S1";
}

Flow& FlowTable::add(const DissectedPacket& packet, std::int64_t timestampNs, std::uint32_t frameBytes,
                     int& direction) {
  Key key{packet.transport, std::min(packet.source, packet.destination),
          std::max(packet.source, packet.destination)};
  auto found = m_index.find(key);
  if (found == m_index.end()) {
    Flow flow;
    flow.number = m_flows.size() + 1;
    flow.transport = packet.transport;
    flow.a = packet.source;
    flow.b = packet.destination;
    // A capture that starts at the SYN-ACK still knows who the originator was.
    bool synAck =
        packet.transport == IpProtocol::Tcp && (packet.tcpFlags & (kTcpSyn | kTcpAck)) == (kTcpSyn | kTcpAck);
    if (synAck) std::swap(flow.a, flow.b);
    flow.firstNs = flow.lastNs = timestampNs;
    found = m_index.emplace(key, m_flows.size()).first;
    m_flows.push_back(std::move(flow));
  }
  Flow& flow = m_flows[found->second];
  direction = packet.source == flow.a ? 0 : 1;
  auto d = static_cast<std::size_t>(direction);
  flow.packets[d] += 1;
  flow.frameBytes[d] += frameBytes;
  flow.payloadBytes[d] += packet.payloadLength;
  flow.firstNs = std::min(flow.firstNs, timestampNs);  // timestamps in a file need not be ordered
  flow.lastNs = std::max(flow.lastNs, timestampNs);
  if (packet.transport == IpProtocol::Udp) {
    addHistoryLetter(flow, direction, 'd');
    return flow;
  }
  std::uint8_t flags = packet.tcpFlags;
  bool syn = (flags & kTcpSyn) != 0;
  bool ack = (flags & kTcpAck) != 0;
  if (syn && !ack) {
    flow.sawSyn[d] = true;
    addHistoryLetter(flow, direction, 's');
  } else if (syn) {
    flow.sawSynAck[d] = true;
    addHistoryLetter(flow, direction, 'h');
  }
  if ((flags & kTcpRst) != 0) {
    flow.sawRst[d] = true;
    if (flow.firstRstDirection < 0) flow.firstRstDirection = direction;
    flow.anomalies.resets += 1;
    addHistoryLetter(flow, direction, 'r');
  }
  if ((flags & kTcpFin) != 0) {
    flow.sawFin[d] = true;
    addHistoryLetter(flow, direction, 'f');
  }
  if (packet.payloadLength != 0) addHistoryLetter(flow, direction, 'd');
  if (ack && !syn && packet.payloadLength == 0 && (flags & (kTcpFin | kTcpRst)) == 0) {
    addHistoryLetter(flow, direction, 'a');
  }
  if (packet.window == 0 && (flags & (kTcpRst | kTcpSyn)) == 0) {
    flow.anomalies.zeroWindow += 1;
    addHistoryLetter(flow, direction, 'w');
  }
  // SYN and FIN occupy one sequence number each (RFC 9293 3.4); segments that occupy none (pure ACKs, RSTs)
  // say nothing about retransmission.
  std::uint32_t length = packet.payloadLength + (syn ? 1u : 0u) + ((flags & kTcpFin) != 0 ? 1u : 0u);
  if (length != 0 && (flags & kTcpRst) == 0) {
    SegmentKind kind = trackSegment(flow.sequence[d], packet.seq, length);
    if (kind == SegmentKind::Retransmission) {
      flow.anomalies.retransmissions += 1;
      addHistoryLetter(flow, direction, 't');
    } else if (kind == SegmentKind::OutOfOrder) {
      flow.anomalies.outOfOrder += 1;
    }
  }
  return flow;
}

}  // namespace sockspec::capture
