#include "capture/flow_messages.h"

#include <fmt/format.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <utility>

#include "capture/flow_table.h"
#include "capture/pcap_file_reader.h"

namespace sockspec::capture {

namespace {

using Bytes = std::vector<std::uint8_t>;

// The payload the frame holds: from the dissector's offset, bounded by the IP length, not the frame's end
// (Ethernet pads short frames).
std::span<const std::uint8_t> capturedPayload(std::span<const std::uint8_t> frame, const DissectedPacket& packet) {
  if (packet.payloadOffset >= frame.size()) return {};  // the snaplen cut it off, or the options
  return frame.subspan(packet.payloadOffset,
                       std::min<std::size_t>(packet.payloadLength, frame.size() - packet.payloadOffset));
}

// One direction of a flow. TCP: the new bytes of each segment, keyed by their position relative to the
// direction's first sequence number (the SYN's plus one, else the first data segment's), never overlapping;
// positions are 32-bit serial distances from it (RFC 1982), so they hold for the first 2 GiB either side.
// UDP: the datagrams in capture order.
struct Direction {
  struct Piece {
    std::int64_t end = 0;  // the piece covers [key, end) of the sequence space
    Bytes bytes;           // what was kept of it: less than it covers when truncated or cut by the snaplen
  };
  std::optional<std::uint32_t> base;
  std::map<std::int64_t, Piece> pieces;
  std::vector<Bytes> datagrams;

  std::size_t messageCount() const { return pieces.size() + datagrams.size(); }

  std::vector<Bytes> takeMessages() {
    std::vector<Bytes> messages = std::move(datagrams);
    for (auto& [position, piece] : pieces) messages.push_back(std::move(piece.bytes));
    return messages;
  }
};

// The parts of [begin, end) that no piece covers yet, in sequence order.
std::vector<std::pair<std::int64_t, std::int64_t>> uncovered(
    const std::map<std::int64_t, Direction::Piece>& pieces, std::int64_t begin, std::int64_t end) {
  std::vector<std::pair<std::int64_t, std::int64_t>> gaps;
  auto next = pieces.upper_bound(begin);
  std::int64_t cursor = begin;
  // Pieces do not overlap, so only the one starting at or before `begin` can cover its start.
  if (next != pieces.begin()) cursor = std::max(cursor, std::prev(next)->second.end);
  for (; next != pieces.end() && next->first < end && cursor < end; ++next) {  // Bounded: the flow's pieces
    if (next->first > cursor) gaps.emplace_back(cursor, next->first);
    cursor = std::max(cursor, next->second.end);
  }
  if (cursor < end) gaps.emplace_back(cursor, end);
  return gaps;
}

// The flow table's key, kept here too so that a flow beyond maxFlows is refused before the table grows.
struct FlowKey {
  IpProtocol transport;
  PacketEndpoint low;
  PacketEndpoint high;
  auto operator<=>(const FlowKey&) const = default;
};

// 0 if the flow's originator `a` is the client, 1 if `b` is (see FlowMessages::client).
std::size_t clientDirection(const Flow& flow) {
  if (flow.transport == IpProtocol::Udp) return 0;
  if (flow.sawSyn[0] != flow.sawSyn[1]) return flow.sawSyn[0] ? 0 : 1;
  if (flow.sawSynAck[0] != flow.sawSynAck[1]) return flow.sawSynAck[1] ? 0 : 1;
  if (flow.a.port != flow.b.port) return flow.a.port > flow.b.port ? 0 : 1;
  return 0;
}

class MessageCollector {
 public:
  explicit MessageCollector(const FlowMessagesLimits& limits) : m_limits(limits) {}

  void add(const DissectedPacket& packet, std::span<const std::uint8_t> payload, std::int64_t timestampNs,
           std::uint32_t frameBytes) {
    FlowKey key{packet.transport, std::min(packet.source, packet.destination),
                std::max(packet.source, packet.destination)};
    if (!m_known.contains(key)) {
      if (m_known.size() == m_limits.maxFlows) {
        if (packet.payloadLength != 0) m_result.droppedMessages += 1;
        return;
      }
      m_known.insert(key);
      m_directions.emplace_back();
    }
    int direction = 0;
    const Flow& flow = m_table.add(packet, timestampNs, frameBytes, direction);
    Direction& side = m_directions[flow.number - 1][static_cast<std::size_t>(direction)];
    if (packet.transport == IpProtocol::Udp) {
      if (payload.empty()) return;
      if (auto kept = keep(side, payload)) side.datagrams.push_back(std::move(*kept));
      return;
    }
    addSegment(side, packet, payload);
  }

  FlowMessagesResult finish() && {
    for (const Flow& flow : m_table.flows()) {
      auto& sides = m_directions[flow.number - 1];
      std::size_t client = clientDirection(flow);
      FlowMessages messages;
      messages.flow = flow.number;
      messages.transport = flow.transport;
      messages.client = client == 0 ? flow.a : flow.b;
      messages.server = client == 0 ? flow.b : flow.a;
      messages.requests = sides[client].takeMessages();
      if (messages.requests.empty()) continue;
      messages.replies = sides[client ^ 1].takeMessages();
      m_result.flows.push_back(std::move(messages));
    }
    return std::move(m_result);
  }

 private:
  void addSegment(Direction& side, const DissectedPacket& packet, std::span<const std::uint8_t> payload) {
    bool syn = (packet.tcpFlags & kTcpSyn) != 0;
    // Data starts after the SYN's own sequence number (RFC 9293 3.4), which also places TCP Fast Open data.
    std::uint32_t dataSeq = packet.seq + (syn ? 1u : 0u);
    if (syn && !side.base) side.base = dataSeq;
    // An RST's payload is a diagnostic, never delivered to the application (RFC 9293 3.5.3).
    if (packet.payloadLength == 0 || (packet.tcpFlags & kTcpRst) != 0) return;
    if (!side.base) side.base = dataSeq;
    std::int64_t begin = static_cast<std::int32_t>(dataSeq - *side.base);
    std::int64_t end = begin + packet.payloadLength;
    std::int64_t capturedEnd = begin + static_cast<std::int64_t>(payload.size());
    for (auto [gapBegin, gapEnd] : uncovered(side.pieces, begin, end)) {
      // A gap past what was captured has no bytes to replay; it stays uncovered for a retransmission.
      if (gapBegin >= capturedEnd) break;
      auto bytes = payload.subspan(static_cast<std::size_t>(gapBegin - begin),
                                   static_cast<std::size_t>(std::min(gapEnd, capturedEnd) - gapBegin));
      auto kept = keep(side, bytes);
      if (!kept) break;  // the limit refuses the rest of this segment too; counted once
      side.pieces.emplace(gapBegin, Direction::Piece{gapEnd, std::move(*kept)});
    }
  }

  // The bytes to store as a message of `side`, or nullopt (counted) when a limit refuses it.
  std::optional<Bytes> keep(const Direction& side, std::span<const std::uint8_t> bytes) {
    if (side.messageCount() >= m_limits.maxMessagesPerFlow) {
      m_result.droppedMessages += 1;
      return std::nullopt;
    }
    if (bytes.size() > m_limits.maxMessageBytes) {
      bytes = bytes.first(m_limits.maxMessageBytes);
      m_result.truncatedMessages += 1;
    }
    if (bytes.size() > m_limits.maxTotalBytes - m_totalBytes) {
      m_result.droppedMessages += 1;
      return std::nullopt;
    }
    m_totalBytes += bytes.size();
    return Bytes(bytes.begin(), bytes.end());
  }

  FlowMessagesLimits m_limits;
  FlowTable m_table;
  std::set<FlowKey> m_known;
  std::vector<std::array<Direction, 2>> m_directions;  // by flow number - 1, indexed by the table's direction
  std::size_t m_totalBytes = 0;
  FlowMessagesResult m_result;
};

}  // namespace

Expected<FlowMessagesResult, std::string> readFlowMessages(const std::string& path,
                                                           const FlowMessagesLimits& limits) {
  auto reader = PcapFileReader::open(path);
  if (!reader) return Unexpected{reader.error()};
  LinkType link = reader->linkType();
  if (link == LinkType::Unsupported) {
    const char* name =
        ::pcap_datalink_val_to_name(reader->dlt());  // nullptr for the ones libpcap cannot name
    return Unexpected{
        fmt::format("{}: link type {}{} is not supported: sockspec reads Ethernet, Linux cooked "
                    "(SLL, SLL2), BSD loopback (NULL, LOOP) and raw IP captures",
                    path, reader->dlt(), name != nullptr ? fmt::format(" ({})", name) : "")};
  }
  MessageCollector collector(limits);
  CaptureRecord record;
  for (;;) {  // Bounded: by the file; each record is read once
    ReadStatus status = reader->next(record);
    if (status == ReadStatus::End) break;
    if (status == ReadStatus::Error) return Unexpected{reader->error()};
    DissectedPacket packet;
    if (dissectPacket(link, record.frame, packet) != DissectStatus::Ok) continue;
    auto payload = packet.payloadLength != 0 ? capturedPayload(record.frame, packet)
                                             : std::span<const std::uint8_t>{};
    collector.add(packet, payload, record.timestampNs, static_cast<std::uint32_t>(record.frame.size()));
  }
  return std::move(collector).finish();
}

}  // namespace sockspec::capture
