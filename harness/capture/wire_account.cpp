#include "capture/wire_account.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "capture/pcap_file_reader.h"

namespace sockspec::capture {

namespace {

constexpr int kClient = 0;
constexpr int kServer = 1;

std::string_view sideName(int side) {
  return side == kServer ? "server" : "client";
}

std::string plural(std::uint64_t count, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", count, count == 1 ? one : many);
}

}  // namespace

void WireAccount::add(std::uint64_t number, const DissectedPacket& packet, std::int64_t timestampNs,
                      std::uint32_t frameBytes) {
  int direction = 0;
  const Flow& flow = m_flows.add(packet, timestampNs, frameBytes, direction);
  if (m_marks.size() < flow.number) m_marks.resize(flow.number);
  Marks& marks = m_marks[flow.number - 1];
  int side = packet.source == m_server ? kServer : kClient;
  auto s = static_cast<std::size_t>(side);
  if (marks.first == 0) marks.first = number;
  if (marks.firstOfSide[s] == 0) marks.firstOfSide[s] = number;
  if (packet.transport == IpProtocol::Tcp) {
    std::uint8_t flags = packet.tcpFlags;
    bool syn = (flags & kTcpSyn) != 0;
    bool ack = (flags & kTcpAck) != 0;
    if (syn && !marks.hasIsn[s]) {
      marks.hasIsn[s] = true;
      marks.isn[s] = packet.seq;
    }
    // Sequence-space comparison, as the kernel's after() (net/tcp.h): past the other side's SYN.
    auto other = static_cast<std::size_t>(1 - side);
    if (ack && marks.hasIsn[other] && static_cast<std::int32_t>(packet.ack - (marks.isn[other] + 1)) > 0) {
      marks.ackedData[s] = true;
    }
    if (syn && !ack && side == kClient) {
      if (marks.syn == 0) marks.syn = number;
      marks.synCount += 1;
    }
    if (syn && ack && side == kServer && marks.synAck == 0) marks.synAck = number;
    if ((flags & kTcpFin) != 0 && marks.fin[s] == 0) marks.fin[s] = number;
    if ((flags & kTcpRst) != 0 && marks.rst[s] == 0) {
      marks.rst[s] = number;
      if (side == kServer && marks.synAck == 0) marks.refusal = number;
      if (marks.previousWasData[s]) marks.dataBeforeRst[s] = marks.previous[s];
    }
  }
  marks.previous[s] = number;
  marks.previousWasData[s] = packet.payloadLength != 0;
}

int WireAccount::flowDirection(const Flow& flow, int side) const {
  bool serverIsOriginator = flow.a == m_server;
  return (side == kServer) == serverIsOriginator ? 0 : 1;
}

// Bytes of data the side sent, once each: its sequence space from the SYN on (RFC 9293 3.4: SYN and FIN take
// one number each), so retransmissions do not count twice; without its SYN in the capture, the payloads.
std::uint64_t WireAccount::bytesSent(const Flow& flow, const Marks& marks, int side) const {
  auto s = static_cast<std::size_t>(side);
  auto d = static_cast<std::size_t>(flowDirection(flow, side));
  if (flow.transport != IpProtocol::Tcp || !marks.hasIsn[s] || !flow.sequence[d].started)
    return flow.payloadBytes[d];
  std::uint32_t span = flow.sequence[d].highest - marks.isn[s] - 1;
  if (marks.fin[s] != 0 && span > 0) span -= 1;
  return span;
}

WireAccount::Kind WireAccount::classify(const Flow& flow, const Marks& marks) const {
  if (flow.transport == IpProtocol::Udp) {
    bool answered = flow.packets[static_cast<std::size_t>(flowDirection(flow, kServer))] != 0;
    return answered ? Kind::Orderly : Kind::Unusual;
  }
  // The closing packets of a connection made before the capture opened (the server's answer to the
  // readiness probe that preceded the check): no handshake, no data.
  if (marks.syn == 0 && marks.synAck == 0 && flow.payloadBytes[0] == 0 && flow.payloadBytes[1] == 0) {
    return Kind::Leftover;
  }
  bool orderly = marks.synAck != 0 && marks.rst[kClient] == 0 && marks.rst[kServer] == 0 &&
                 marks.fin[kClient] != 0 && marks.fin[kServer] != 0;
  return orderly ? Kind::Orderly : Kind::Unusual;
}

std::string WireAccount::describeTcp(const Flow& flow, const Marks& marks) const {
  std::vector<std::string> events;
  if (marks.syn != 0 && marks.synAck != 0) {
    events.push_back(fmt::format("SYN #{}, SYN-ACK #{}", marks.syn, marks.synAck));
  } else if (marks.syn != 0 && marks.refusal != 0) {
    events.push_back(fmt::format("SYN #{} refused: server RST #{}", marks.syn, marks.refusal));
  } else if (marks.syn != 0) {
    events.push_back(fmt::format("SYN #{} unanswered{}", marks.syn,
                                 marks.synCount > 1 ? fmt::format(" (sent {} times)", marks.synCount) : ""));
  } else if (marks.synAck != 0) {
    events.push_back(fmt::format("SYN-ACK #{} (no SYN captured)", marks.synAck));
  } else {
    events.push_back(fmt::format("no handshake captured (first packet #{})", marks.first));
  }
  // The closing segments in the order they came: the first FIN and the first RST of each side.
  struct Closing {
    std::uint64_t number;
    int side;
    bool reset;
  };
  std::vector<Closing> closings;
  for (int side : {kClient, kServer}) {
    auto s = static_cast<std::size_t>(side);
    if (marks.fin[s] != 0) closings.push_back({marks.fin[s], side, false});
    if (marks.rst[s] != 0 && marks.rst[s] != marks.refusal) closings.push_back({marks.rst[s], side, true});
  }
  std::sort(closings.begin(), closings.end(),
            [](const Closing& x, const Closing& y) { return x.number < y.number; });
  for (const auto& closing : closings) {
    std::string event =
        fmt::format("{} {} #{}", sideName(closing.side), closing.reset ? "RST" : "FIN", closing.number);
    std::uint64_t data = closing.reset ? marks.dataBeforeRst[static_cast<std::size_t>(closing.side)] : 0;
    if (data != 0) event += fmt::format(" right after its data #{}", data);
    events.push_back(std::move(event));
  }
  bool serverEnded = marks.fin[kServer] != 0 || marks.rst[kServer] != 0;
  if (marks.synAck != 0 && closings.empty()) {
    events.emplace_back("no FIN or RST: open at the end of the capture");
  } else if (marks.synAck != 0 && !serverEnded) {
    events.emplace_back("no FIN or RST from the server");
  }
  std::string text = fmt::format("{}", fmt::join(events, ", "));
  if (marks.synAck != 0 || marks.syn == 0) {
    text += fmt::format("; client sent {} bytes, server {}", bytesSent(flow, marks, kClient),
                        bytesSent(flow, marks, kServer));
    if (flow.anomalies.retransmissions != 0)
      text += ", " + plural(flow.anomalies.retransmissions, "retransmission", "retransmissions");
  }
  return text;
}

// The likely cause, from the one pattern that explains the most; "" for an orderly connection and for UDP.
std::string WireAccount::likelyCause(const Flow& flow, const Marks& marks) const {
  if (flow.transport != IpProtocol::Tcp) return {};
  bool serverEnded = marks.fin[kServer] != 0 || marks.rst[kServer] != 0;
  if (marks.refusal != 0) return "nothing listening on that port";
  if (marks.syn != 0 && marks.synAck == 0)
    return "the listener's accept queue was full, or nothing answers SYNs there";
  if (marks.rst[kServer] != 0) {
    return "the server closed with input unread, or with SO_LINGER 0: its RST discards what it had not sent "
           "yet; "
           "RFC 2525 2.17";
  }
  if (marks.synAck != 0 && !marks.ackedData[kServer] && bytesSent(flow, marks, kClient) != 0) {
    // Linux keeps such a connection in SYN-RECV and drops its segments while the accept queue is full
    // (tcp_v4_syn_recv_sock(), counted as ListenOverflows).
    return "a full accept queue: the server's kernel dropped the handshake's last ACK and the data after it; "
           "listen(2)";
  }
  if (marks.fin[kClient] != 0 && !serverEnded) {
    return "the server did not close after the client's EOF, or never accepted the connection";
  }
  return {};
}

std::string WireAccount::describeUdp(const Flow& flow, const Marks& marks) const {
  std::vector<std::string> sides;
  for (int side : {kClient, kServer}) {
    auto s = static_cast<std::size_t>(side);
    auto d = static_cast<std::size_t>(flowDirection(flow, side));
    std::uint64_t count = flow.packets[d];
    if (count == 0) {
      sides.push_back(fmt::format("{} sent none", sideName(side)));
      continue;
    }
    std::string range = count == 1 ? fmt::format("#{}", marks.firstOfSide[s])
                                   : fmt::format("#{}-#{}", marks.firstOfSide[s], marks.previous[s]);
    sides.push_back(fmt::format("{} sent {} ({}), {} bytes", sideName(side),
                                plural(count, "datagram", "datagrams"), range, flow.payloadBytes[d]));
  }
  return fmt::format("{}", fmt::join(sides, "; "));
}

std::string WireAccount::describeFlow(const Flow& flow, const Marks& marks) const {
  const PacketEndpoint& client = flow.a == m_server ? flow.b : flow.a;
  std::string body = flow.transport == IpProtocol::Tcp ? describeTcp(flow, marks) : describeUdp(flow, marks);
  return fmt::format("client {}: {}", formatEndpoint(client), body);
}

std::string WireAccount::describe(std::size_t limit) const {
  const auto& flows = m_flows.flows();
  if (flows.empty()) return fmt::format("no packets to or from {}", formatEndpoint(m_server));
  bool tcp = flows.front().transport == IpProtocol::Tcp;
  std::vector<Kind> kinds;
  for (std::size_t i = 0; i < flows.size(); ++i) kinds.push_back(classify(flows[i], m_marks[i]));
  // Bounded by the flows: the unusual ones first (the failure is most likely there); else the last one that
  // is not a leftover, or else the last one.
  std::vector<std::size_t> shown;
  for (std::size_t i = 0; i < flows.size() && shown.size() < limit; ++i) {
    if (kinds[i] == Kind::Unusual) shown.push_back(i);
  }
  if (shown.empty()) {
    std::size_t last = flows.size() - 1;
    while (last > 0 && kinds[last] == Kind::Leftover) --last;
    shown.push_back(kinds[last] == Kind::Leftover ? flows.size() - 1 : last);
  }
  std::vector<std::string> clauses;
  std::vector<std::string> causes;    // said once: a later connection with the same one says "as above"
  std::array<std::size_t, 3> rest{};  // by Kind, of the flows not told
  for (std::size_t i = 0, next = 0; i < flows.size(); ++i) {
    if (next < shown.size() && shown[next] == i) {
      std::string clause = describeFlow(flows[i], m_marks[i]);
      std::string cause = likelyCause(flows[i], m_marks[i]);
      if (!cause.empty()) {
        bool said = std::find(causes.begin(), causes.end(), cause) != causes.end();
        clause += fmt::format(" (likely: {})", said ? "as above" : cause);
        causes.push_back(std::move(cause));
      }
      clauses.push_back(std::move(clause));
      ++next;
    } else {
      rest[static_cast<std::size_t>(kinds[i])] += 1;
    }
  }
  std::string text = fmt::format("{}", fmt::join(clauses, "; "));
  std::size_t untold = flows.size() - shown.size();
  if (untold == 0) return text;
  std::vector<std::string> parts;
  std::size_t unusualRest = rest[static_cast<std::size_t>(Kind::Unusual)];
  std::size_t leftoverRest = rest[static_cast<std::size_t>(Kind::Leftover)];
  std::size_t orderlyRest = rest[static_cast<std::size_t>(Kind::Orderly)];
  if (unusualRest != 0)
    parts.push_back(fmt::format("{} {}", unusualRest, tcp ? "reset or unfinished" : "unanswered"));
  if (leftoverRest != 0) parts.push_back(fmt::format("{} begun before the capture", leftoverRest));
  if (orderlyRest != 0) {
    std::string_view orderly = tcp ? "closed with a FIN each way" : "answered";
    parts.push_back(parts.empty() ? fmt::format("all {}", orderly)
                                  : fmt::format("{} {}", orderlyRest, orderly));
  }
  return fmt::format(
      "{}; and {} ({})", text,
      plural(untold, tcp ? "more connection" : "more client", tcp ? "more connections" : "more clients"),
      fmt::join(parts, ", "));
}

Expected<std::string, std::string> describeCaptureFile(const std::string& path, const PacketEndpoint& server,
                                                       std::size_t limit) {
  auto reader = PcapFileReader::open(path);
  if (!reader) return Unexpected{reader.error()};
  LinkType link = reader->linkType();
  WireAccount account(server);
  CaptureRecord record;
  std::uint64_t number = 0;
  // Bounded by the file: one record per pass.
  for (;;) {
    ReadStatus status = reader->next(record);
    if (status == ReadStatus::End) break;
    if (status == ReadStatus::Error) return Unexpected{reader->error()};
    number += 1;
    DissectedPacket packet;
    if (dissectPacket(link, record.frame, packet) != DissectStatus::Ok) continue;
    account.add(number, packet, record.timestampNs, static_cast<std::uint32_t>(record.frame.size()));
  }
  return account.describe(limit);
}

}  // namespace sockspec::capture
