#include "app/inspect_captures.h"

#include <array>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "capture/pcap_file_reader.h"

namespace sockspec::app {

namespace {

using namespace sockspec::capture;

struct Filter {
  std::vector<IpAddress> hosts;
  std::vector<std::uint16_t> ports;

  bool accepts(const DissectedPacket& packet) const {
    auto hostMatches = [&](const PacketEndpoint& endpoint) {
      for (const auto& host : hosts) {
        if (host == endpoint.address) return true;
      }
      return false;
    };
    auto portMatches = [&](const PacketEndpoint& endpoint) {
      for (auto port : ports) {
        if (port == endpoint.port) return true;
      }
      return false;
    };
    if (!hosts.empty() && !hostMatches(packet.source) && !hostMatches(packet.destination)) return false;
    if (!ports.empty() && !portMatches(packet.source) && !portMatches(packet.destination)) return false;
    return true;
  }
};

// One packet of the --timeline flow; only that flow's packets are kept.
struct TimelineEntry {
  std::int64_t timestampNs = 0;
  int direction = 0;
  DissectedPacket packet;
  std::uint32_t frameBytes = 0;
};

struct FileSummary {
  std::string path;
  std::string linkType;
  std::uint64_t records = 0;
  std::uint64_t otherPackets = 0;   // not IP, or not TCP/UDP
  std::uint64_t undissectable = 0;  // truncated or malformed headers
  std::uint64_t filteredOut = 0;
  FlowTable table;
  std::vector<TimelineEntry> timeline;
  std::optional<std::string> error;
};

void readCapture(const std::string& path, const Filter& filter, std::size_t timelineFlow,
                 FileSummary& summary) {
  summary.path = path;
  auto reader = PcapFileReader::open(path);
  if (!reader) {
    summary.error = reader.error();
    summary.linkType = "unknown";
    return;
  }
  summary.linkType = std::string(linkTypeName(reader->linkType()));
  LinkType link = reader->linkType();
  CaptureRecord record;
  for (;;) {
    ReadStatus status = reader->next(record);
    if (status == ReadStatus::End) break;
    if (status == ReadStatus::Error) {
      summary.error = reader->error();
      break;
    }
    summary.records += 1;
    DissectedPacket packet;
    DissectStatus dissected = dissectPacket(link, record.frame, packet);
    if (dissected == DissectStatus::NotIp || dissected == DissectStatus::OtherTransport) {
      summary.otherPackets += 1;
      continue;
    }
    if (dissected != DissectStatus::Ok) {
      summary.undissectable += 1;
      continue;
    }
    if (!filter.accepts(packet)) {
      summary.filteredOut += 1;
      continue;
    }
    int direction = 0;
    auto frameBytes = static_cast<std::uint32_t>(record.frame.size());
    const Flow& flow = summary.table.add(packet, record.timestampNs, frameBytes, direction);
    if (timelineFlow != 0 && flow.number == timelineFlow) {
      summary.timeline.push_back({record.timestampNs, direction, packet, frameBytes});
    }
  }
}

std::string formatSeconds(std::int64_t ns) {
  return fmt::format("{}{}.{:09}", ns < 0 ? "-" : "", (ns < 0 ? -(ns / 1'000'000'000) : ns / 1'000'000'000),
                     ns < 0 ? -(ns % 1'000'000'000) : ns % 1'000'000'000);
}

std::string flagText(std::uint8_t flags) {
  std::string text;
  if ((flags & kTcpSyn) != 0) text += 'S';
  if ((flags & kTcpFin) != 0) text += 'F';
  if ((flags & kTcpRst) != 0) text += 'R';
  if ((flags & kTcpPsh) != 0) text += 'P';
  if ((flags & kTcpAck) != 0) text += '.';
  if ((flags & kTcpUrg) != 0) text += 'U';
  return text.empty() ? "none" : text;
}

const char* transportName(IpProtocol transport) {
  return transport == IpProtocol::Tcp ? "tcp" : "udp";
}

bool selected(const InspectOptions& settings, const Flow& flow) {
  return settings.flow == 0 || flow.number == settings.flow;
}

void printText(std::FILE* out, const InspectOptions& settings, const FileSummary& summary) {
  std::fprintf(out, "%s: %s, %llu records, %zu flows", summary.path.c_str(), summary.linkType.c_str(),
              static_cast<unsigned long long>(summary.records), summary.table.flows().size());
  if (summary.otherPackets != 0)
    std::fprintf(out, ", %llu not TCP/UDP", static_cast<unsigned long long>(summary.otherPackets));
  if (summary.undissectable != 0) {
    std::fprintf(out, ", %llu undissectable", static_cast<unsigned long long>(summary.undissectable));
  }
  if (summary.filteredOut != 0)
    std::fprintf(out, ", %llu filtered out", static_cast<unsigned long long>(summary.filteredOut));
  std::fprintf(out, "\n");
  for (const Flow& flow : summary.table.flows()) {
    if (!selected(settings, flow)) continue;
    std::string line = fmt::format(
        "  #{} {} {} -> {}  start {} dur {}s  pkts {}/{}  frame bytes {}/{}  payload {}/{}  history {}  "
        "state {}",
        flow.number, transportName(flow.transport), formatEndpoint(flow.a), formatEndpoint(flow.b),
        formatSeconds(flow.firstNs), formatSeconds(flow.durationNs()), flow.packets[0], flow.packets[1],
        flow.frameBytes[0], flow.frameBytes[1], flow.payloadBytes[0], flow.payloadBytes[1],
        flow.history.empty() ? "-" : flow.history, flow.state());
    const auto& anomalies = flow.anomalies;
    if (anomalies.retransmissions + anomalies.outOfOrder + anomalies.zeroWindow + anomalies.resets != 0) {
      line += fmt::format("  retrans {} ooo {} zero-win {} rst {}", anomalies.retransmissions,
                          anomalies.outOfOrder, anomalies.zeroWindow, anomalies.resets);
    }
    std::fprintf(out, "%s\n", line.c_str());
  }
}

void printTimeline(std::FILE* out, const FileSummary& summary, std::size_t number) {
  const auto& flows = summary.table.flows();
  if (number == 0 || number > flows.size()) {
    std::fprintf(out, "%s: no flow #%zu (%zu flows)\n", summary.path.c_str(), number, flows.size());
    return;
  }
  const Flow& flow = flows[number - 1];
  std::string a = formatEndpoint(flow.a);
  std::string b = formatEndpoint(flow.b);
  std::fprintf(out, "%s: flow #%zu %s\n%14s  %-28s %s\n", summary.path.c_str(), number,
              transportName(flow.transport), "", a.c_str(), b.c_str());
  // Sequence numbers relative to each direction's first one, as tcpdump and Wireshark show them.
  std::array<std::optional<std::uint32_t>, 2> base;
  for (const auto& entry : summary.timeline) {
    const auto& packet = entry.packet;
    auto d = static_cast<std::size_t>(entry.direction);
    std::string label;
    if (packet.transport == IpProtocol::Tcp) {
      if (!base[d]) base[d] = packet.seq;
      label = fmt::format("[{}] seq={} ", flagText(packet.tcpFlags), packet.seq - *base[d]);
      auto other = d ^ 1u;
      if ((packet.tcpFlags & kTcpAck) != 0 && base[other])
        label += fmt::format("ack={} ", packet.ack - *base[other]);
      label += fmt::format("win={} ", packet.window);
    }
    label += fmt::format("len={}", packet.payloadLength);
    std::string arrow =
        entry.direction == 0 ? fmt::format("|-- {} -->|", label) : fmt::format("|<-- {} --|", label);
    std::fprintf(out, "%14s  %s\n", formatSeconds(entry.timestampNs - flow.firstNs).c_str(), arrow.c_str());
  }
}

nlohmann::json flowJson(const Flow& flow) {
  const auto& anomalies = flow.anomalies;
  return nlohmann::json{
      {"number", flow.number},
      {"proto", transportName(flow.transport)},
      {"a", formatEndpoint(flow.a)},
      {"b", formatEndpoint(flow.b)},
      {"packets", {flow.packets[0], flow.packets[1]}},
      {"frame_bytes", {flow.frameBytes[0], flow.frameBytes[1]}},
      {"payload_bytes", {flow.payloadBytes[0], flow.payloadBytes[1]}},
      {"start_ns", flow.firstNs},
      {"duration_ns", flow.durationNs()},
      {"history", flow.history},
      {"state", flow.state()},
      {"anomalies",
       {{"retransmissions", anomalies.retransmissions},
        {"out_of_order", anomalies.outOfOrder},
        {"zero_window", anomalies.zeroWindow},
        {"rst", anomalies.resets}}},
  };
}

nlohmann::json flowEntry(const InspectOptions& settings, const FileSummary& summary, const Flow& flow) {
  nlohmann::json entry = flowJson(flow);
  if (settings.timeline && flow.number == settings.flow) {
    nlohmann::json packets = nlohmann::json::array();
    for (const auto& item : summary.timeline) {
      packets.push_back({{"t_ns", item.timestampNs - flow.firstNs},
                         {"dir", item.direction == 0 ? "a->b" : "b->a"},
                         {"flags", flagText(item.packet.tcpFlags)},
                         {"seq", item.packet.seq},
                         {"ack", item.packet.ack},
                         {"window", item.packet.window},
                         {"payload_bytes", item.packet.payloadLength},
                         {"frame_bytes", item.frameBytes}});
    }
    entry["timeline"] = std::move(packets);
  }
  return entry;
}

// A file name may be any bytes; replace what is not UTF-8 rather than throw.
std::string compactJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Prints one file's object of the "files" array, its flows one per line as each is serialised: a JSON tree of
// the whole document costs about 3 KiB per flow, several times the flow table itself, and would be the
// largest thing inspect holds.
void printFileJson(std::FILE* out, const InspectOptions& settings, const FileSummary& summary, bool firstFile) {
  nlohmann::json head{{"file", summary.path},
                      {"link_type", summary.linkType},
                      {"records", summary.records},
                      {"other_packets", summary.otherPackets},
                      {"undissectable", summary.undissectable},
                      {"filtered_out", summary.filteredOut},
                      {"error", summary.error ? nlohmann::json(*summary.error) : nlohmann::json(nullptr)}};
  std::string text = compactJson(head);
  text.pop_back();  // the closing brace: "flows" follows
  std::fprintf(out, "%s%s,\"flows\":[", firstFile ? "" : ",\n", text.c_str());
  bool firstFlow = true;
  for (const Flow& flow : summary.table.flows()) {
    if (!selected(settings, flow)) continue;
    std::fprintf(out, "%s\n%s", firstFlow ? "" : ",", compactJson(flowEntry(settings, summary, flow)).c_str());
    firstFlow = false;
  }
  std::fprintf(out, "]}");
}

}  // namespace

Expected<InspectOutcome, std::string> inspectCaptures(const InspectOptions& settings, std::FILE* out, std::FILE* err) {
  Filter filter;
  for (const auto& host : settings.hosts) {
    IpAddress address;
    if (!parseAddress(host, address)) return Unexpected{fmt::format("--host: '{}' is not an IPv4 or IPv6 address", host)};
    filter.hosts.push_back(address);
  }
  for (int port : settings.ports) filter.ports.push_back(static_cast<std::uint16_t>(port));
  if (settings.timeline && settings.flow == 0) return Unexpected{std::string("--timeline needs --flow N")};
  InspectOutcome outcome;
  if (settings.json) std::fprintf(out, "{\"files\":[\n");
  bool firstFile = true;
  for (const auto& path : settings.files) {
    // One file at a time: its flow table is dropped before the next file is read.
    FileSummary summary;
    readCapture(path, filter, settings.timeline ? settings.flow : 0, summary);
    if (settings.json) {
      printFileJson(out, settings, summary, firstFile);
      firstFile = false;
    } else if (settings.timeline) {
      printTimeline(out, summary, settings.flow);
    } else {
      printText(out, settings, summary);
    }
    std::fflush(out);
    if (summary.error) {
      outcome.anyFileFailed = true;
      std::fprintf(err, "sockspec inspect: %s\n", summary.error->c_str());
    }
  }
  if (settings.json) std::fprintf(out, "\n]}\n");
  return outcome;
}

}  // namespace sockspec::app
