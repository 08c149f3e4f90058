// The capture layer on pcap files built by hand: every supported link type and both byte orders and
// timestamp units, the flow table's counts, history and state, and hostile files that must fail with the
// file and the record offset, never a crash (this suite runs under ASan in the asan preset).
#include <catch2/catch.hpp>
#include <string>

#include "capture/flow_table.h"
#include "capture/packet_dissector.h"
#include "capture/pcap_file_reader.h"
#include "support/built_programs.h"
#include "support/pcap_builder.h"
#include "support/test_files.h"

using namespace sockspec::capture;
using namespace sockspec::testing;

namespace {

constexpr std::uint32_t kClient = 0x0a000001;  // 10.0.0.1
constexpr std::uint32_t kServer = 0x0a000002;  // 10.0.0.2

Bytes tcp4(std::uint32_t src, std::uint32_t dst, TcpSegment segment) {
  return ipv4(src, dst, 6, tcpHeaderAndPayload(segment));
}

// Client 10.0.0.1:40000 -> server 10.0.0.2:80: handshake, 5 bytes each way, FIN from both.
std::vector<Bytes> handshakeDataFin() {
  return {
      tcp4(kClient, kServer, {40000, 80, kTcpSyn, 100, 0}),
      tcp4(kServer, kClient, {80, 40000, kTcpSyn | kTcpAck, 500, 101}),
      tcp4(kClient, kServer, {40000, 80, kTcpAck, 101, 501}),
      tcp4(kClient, kServer, {40000, 80, kTcpAck | kTcpPsh, 101, 501, 65535, "hello"}),
      tcp4(kServer, kClient, {80, 40000, kTcpAck | kTcpPsh, 501, 106, 65535, "world"}),
      tcp4(kClient, kServer, {40000, 80, kTcpAck | kTcpFin, 106, 506}),
      tcp4(kServer, kClient, {80, 40000, kTcpAck | kTcpFin, 506, 107}),
      tcp4(kClient, kServer, {40000, 80, kTcpAck, 107, 507}),
  };
}

struct ReadResult {
  FlowTable table;
  std::size_t records = 0;
  std::size_t dissected = 0;
  std::string error;
  LinkType link = LinkType::Unsupported;
};

ReadResult readFile(const std::string& path) {
  ReadResult result;
  auto reader = PcapFileReader::open(path);
  if (!reader) {
    result.error = reader.error();
    return result;
  }
  result.link = reader->linkType();
  CaptureRecord record;
  for (;;) {
    ReadStatus status = reader->next(record);
    if (status == ReadStatus::End) break;
    if (status == ReadStatus::Error) {
      result.error = reader->error();
      break;
    }
    ++result.records;
    DissectedPacket packet;
    if (dissectPacket(result.link, record.frame, packet) != DissectStatus::Ok) continue;
    ++result.dissected;
    int direction = 0;
    result.table.add(packet, record.timestampNs, static_cast<std::uint32_t>(record.frame.size()), direction);
  }
  return result;
}

std::string writeCapture(const PcapBuilder& builder) {
  std::string path = tempFilePath("capture", ".pcap");
  writeFileOrFail(path, builder.str());
  return path;
}

}  // namespace

TEST_CASE("a handshake, data and FIN from both sides give history ShADdFf and state SF", "[unit][capture]") {
  bool bigEndian = GENERATE(false, true);
  bool nano = GENERATE(false, true);
  PcapBuilder builder(kLinkRaw, bigEndian, nano);
  std::uint32_t frac = 0;
  for (const auto& frame : handshakeDataFin()) builder.record(1700000000, frac += 1000, frame);
  auto result = readFile(writeCapture(builder));
  INFO("big-endian " << bigEndian << ", nano " << nano);
  REQUIRE(result.error.empty());
  CHECK(result.records == 8);
  REQUIRE(result.table.flows().size() == 1);
  const Flow& flow = result.table.flows()[0];
  CHECK(formatEndpoint(flow.a) == "10.0.0.1:40000");
  CHECK(formatEndpoint(flow.b) == "10.0.0.2:80");
  CHECK(flow.packets == std::array<std::uint64_t, 2>{5, 3});
  CHECK(flow.payloadBytes == std::array<std::uint64_t, 2>{5, 5});
  CHECK(flow.frameBytes == std::array<std::uint64_t, 2>{5 * 40 + 5, 3 * 40 + 5});
  CHECK(flow.history == "ShADdFf");
  CHECK(flow.state() == "SF");
  CHECK(flow.durationNs() == (nano ? 7000 : 7'000'000));
  CHECK(flow.anomalies.retransmissions == 0);
  CHECK(flow.anomalies.outOfOrder == 0);
}

TEST_CASE("every supported link type leads to the same flow", "[unit][capture]") {
  auto syn = tcp4(kClient, kServer, {40000, 80, kTcpSyn, 1, 0});
  auto synAck = tcp4(kServer, kClient, {80, 40000, kTcpSyn | kTcpAck, 9, 2});
  struct Case {
    const char* name;
    std::uint32_t link;
    Bytes (*wrap)(const Bytes&);
  };
  const Case cases[] = {
      {"ethernet", kLinkEthernet, [](const Bytes& ip) { return ethernet(ip, false); }},
      {"ethernet + 802.1Q", kLinkEthernet, [](const Bytes& ip) { return ethernet(ip, false, 1); }},
      {"ethernet + QinQ", kLinkEthernet, [](const Bytes& ip) { return ethernet(ip, false, 2); }},
      {"linux cooked v1", kLinkSll, [](const Bytes& ip) { return linuxSll(ip, false); }},
      {"linux cooked v2", kLinkSll2, [](const Bytes& ip) { return linuxSll2(ip, false); }},
      {"bsd null", kLinkNull, [](const Bytes& ip) { return bsdNull(ip); }},
      {"bsd loop", kLinkLoop, [](const Bytes& ip) { return bsdNull(ip); }},
      {"raw", kLinkRaw, [](const Bytes& ip) { return ip; }},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    PcapBuilder builder(c.link);
    builder.record(1, 0, c.wrap(syn)).record(1, 10, c.wrap(synAck));
    auto result = readFile(writeCapture(builder));
    REQUIRE(result.error.empty());
    REQUIRE(result.table.flows().size() == 1);
    CHECK(result.table.flows()[0].history == "Sh");
    CHECK(result.table.flows()[0].state() == "S1");
  }
}

TEST_CASE("IPv6 with a hop-by-hop and destination options chain, and UDP", "[unit][capture]") {
  Bytes tcp = tcpHeaderAndPayload({5000, 443, kTcpAck | kTcpPsh, 7, 9, 100, "abc"});
  Bytes frame = ethernet(ipv6(1, 2, 6, tcp, true), true);
  DissectedPacket packet;
  REQUIRE(dissectPacket(LinkType::Ethernet, frame, packet) == DissectStatus::Ok);
  CHECK(formatEndpoint(packet.source) == "[::1]:5000");
  CHECK(formatEndpoint(packet.destination) == "[::2]:443");
  CHECK(packet.payloadLength == 3);
  CHECK(packet.seq == 7);
  CHECK(packet.window == 100);

  Bytes udp = ipv4(kClient, kServer, 17, udpHeaderAndPayload(53, 5353, "query"));
  REQUIRE(dissectPacket(LinkType::RawIp, udp, packet) == DissectStatus::Ok);
  CHECK(packet.transport == IpProtocol::Udp);
  CHECK(packet.payloadLength == 5);
}

TEST_CASE("a snaplen-truncated frame still counts the payload that was on the wire", "[unit][capture]") {
  Bytes full = tcp4(kClient, kServer, {40000, 80, kTcpAck, 1, 1, 65535, std::string(1000, 'x')});
  Bytes cut(full.begin(), full.begin() + 60);
  PcapBuilder builder(kLinkRaw, false, false, 60);
  builder.record(1, 0, cut, 60, static_cast<std::int64_t>(full.size()));
  auto result = readFile(writeCapture(builder));
  REQUIRE(result.error.empty());
  REQUIRE(result.table.flows().size() == 1);
  CHECK(result.table.flows()[0].payloadBytes[0] == 1000);
  CHECK(result.table.flows()[0].frameBytes[0] == 60);
}

TEST_CASE("retransmission, out-of-order, zero window and RST are counted", "[unit][capture]") {
  FlowTable table;
  int direction = 0;
  auto add = [&](std::uint32_t src, std::uint32_t dst, TcpSegment segment) {
    DissectedPacket packet;
    Bytes frame = tcp4(src, dst, segment);
    REQUIRE(dissectPacket(LinkType::RawIp, frame, packet) == DissectStatus::Ok);
    table.add(packet, 0, 0, direction);
  };
  add(kClient, kServer, {1, 2, kTcpSyn, 0, 0});
  add(kServer, kClient, {2, 1, kTcpSyn | kTcpAck, 0, 1});
  add(kClient, kServer, {1, 2, kTcpAck, 1, 1, 100, "aaaa"});  // [1,5)
  add(kClient, kServer, {1, 2, kTcpAck, 9, 1, 100, "cccc"});  // [9,13): a hole [5,9)
  add(kClient, kServer, {1, 2, kTcpAck, 5, 1, 100, "bbbb"});  // fills the hole: out of order
  add(kClient, kServer, {1, 2, kTcpAck, 1, 1, 100, "aaaa"});  // seen already: retransmission
  add(kServer, kClient, {2, 1, kTcpAck, 1, 13, 0, ""});       // zero window
  add(kServer, kClient, {2, 1, kTcpRst | kTcpAck, 1, 13, 0, ""});
  const Flow& flow = table.flows().at(0);
  CHECK(flow.anomalies.outOfOrder == 1);
  CHECK(flow.anomalies.retransmissions == 1);
  CHECK(flow.anomalies.zeroWindow == 1);
  CHECK(flow.anomalies.resets == 1);
  CHECK(flow.state() == "RSTR");
  CHECK(flow.history == "ShDTawr");
}

TEST_CASE("conn_state follows Zeek's definitions", "[unit][capture]") {
  auto stateOf = [](std::initializer_list<std::pair<bool, std::uint8_t>> packets) {
    FlowTable table;
    int direction = 0;
    for (auto [fromClient, flags] : packets) {
      DissectedPacket packet;
      Bytes frame = fromClient ? tcp4(kClient, kServer, {1, 2, flags, 0, 0})
                               : tcp4(kServer, kClient, {2, 1, flags, 0, 0});
      REQUIRE(dissectPacket(LinkType::RawIp, frame, packet) == DissectStatus::Ok);
      table.add(packet, 0, 0, direction);
    }
    return table.flows().at(0).state();
  };
  CHECK(stateOf({{true, kTcpSyn}}) == "S0");
  CHECK(stateOf({{true, kTcpSyn}, {false, kTcpRst | kTcpAck}}) == "REJ");
  CHECK(stateOf({{true, kTcpSyn}, {false, kTcpSyn | kTcpAck}, {true, kTcpRst}}) == "RSTO");
  CHECK(stateOf({{true, kTcpSyn}, {false, kTcpSyn | kTcpAck}, {true, kTcpFin | kTcpAck}}) == "S2");
  CHECK(stateOf({{true, kTcpAck}, {false, kTcpAck}}) == "OTH");
  CHECK(stateOf({{false, kTcpSyn | kTcpAck}}) == "OTH");  // the SYN-ACK makes its receiver the originator
}

TEST_CASE("hostile files fail with the file and the record offset, never a crash", "[unit][capture]") {
  Bytes frame = tcp4(kClient, kServer, {1, 2, kTcpSyn, 0, 0});
  PcapBuilder good(kLinkRaw);
  good.record(1, 0, frame);
  std::string goodBytes = good.str();  // 24-byte header + one 56-byte record
  REQUIRE(goodBytes.size() == 80);

  SECTION("truncated file header") {
    std::string path = tempFilePath("hostile", ".pcap");
    writeFileOrFail(path, goodBytes.substr(0, 10));
    auto result = readFile(path);
    CHECK_THAT(result.error, Catch::StartsWith(path + ": record at offset 0: "));
  }
  SECTION("truncated record") {
    std::string path = tempFilePath("hostile", ".pcap");
    writeFileOrFail(path, goodBytes + goodBytes.substr(24, 30));
    auto result = readFile(path);
    CHECK(result.records == 1);
    CHECK_THAT(result.error, Catch::StartsWith(path + ": record at offset 80: "));
  }
  SECTION("captured length above the snaplen") {
    PcapBuilder builder(kLinkRaw, false, false, 20);
    builder.record(1, 0, frame);
    std::string path = writeCapture(builder);
    auto result = readFile(path);
    CHECK_THAT(result.error, Catch::StartsWith(path + ": record at offset 24: "));
  }
  SECTION("absurd captured length") {
    PcapBuilder builder(kLinkRaw);
    builder.record(1, 0, frame).record(1, 0, frame, 0x7fffffff, 0x7fffffff);
    std::string path = writeCapture(builder);
    auto result = readFile(path);
    CHECK(result.records == 1);
    CHECK_THAT(result.error, Catch::StartsWith(path + ": record at offset 80: "));
  }
  SECTION("captured length above the wire length") {
    PcapBuilder builder(kLinkRaw);
    builder.record(1, 0, frame, -1, 10);
    std::string path = writeCapture(builder);
    CHECK_THAT(readFile(path).error, Catch::StartsWith(path + ": record at offset 24: "));
  }
  SECTION("garbage") {
    std::string path = tempFilePath("hostile", ".pcap");
    writeFileOrFail(path, std::string(300, '\x5a'));
    CHECK_THAT(readFile(path).error, Catch::StartsWith(path + ": record at offset 0: "));
  }
}

TEST_CASE("the dissector stays inside every prefix of its frames", "[unit][capture]") {
  // Every prefix of every frame of every link type: ASan catches a read past the end.
  Bytes v6 = ethernet(ipv6(1, 2, 6, tcpHeaderAndPayload({1, 2, kTcpAck, 0, 0, 1, "xy"}), true), true, 2);
  Bytes v4 = linuxSll(tcp4(kClient, kServer, {1, 2, kTcpAck, 0, 0, 1, "xy"}), false);
  for (const Bytes& full : {v6, v4}) {
    for (LinkType link : {LinkType::Ethernet, LinkType::LinuxSll, LinkType::LinuxSll2, LinkType::BsdNull,
                          LinkType::BsdLoop, LinkType::RawIp}) {
      for (std::size_t size = 0; size <= full.size(); ++size) {
        Bytes prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(size));
        DissectedPacket packet;
        (void)dissectPacket(link, prefix, packet);
      }
    }
  }
  Bytes v6full = v6;
  DissectedPacket packet;
  CHECK(dissectPacket(LinkType::Ethernet, v6full, packet) == DissectStatus::Ok);
  Bytes cut(v6.begin(), v6.begin() + 30);
  CHECK(dissectPacket(LinkType::Ethernet, cut, packet) == DissectStatus::Truncated);
}

TEST_CASE("mutated captures are read or rejected, never crash", "[unit][capture]") {
  // A cheap in-test mutation run (fixed seed) over a good file: ASan and UBSan judge the reader, the
  // dissector and the flow table; the result only has to be a record count or an error naming an offset.
  PcapBuilder builder(kLinkEthernet, true, true);
  std::uint32_t frac = 0;
  for (const auto& ip : handshakeDataFin()) builder.record(1, frac += 7, ethernet(ip, false, 1));
  const std::string good = builder.str();
  std::uint32_t state = 12345;
  auto random = [&state]() {
    state = state * 1103515245u + 12345u;
    return state >> 8;
  };
  std::string path = tempFilePath("mutated", ".pcap");
  for (int i = 0; i < 2000; ++i) {
    std::string bytes = good;
    for (std::uint32_t flips = 1 + random() % 8; flips != 0; --flips) {
      bytes[random() % bytes.size()] = static_cast<char>(random());
    }
    if (random() % 4 == 0) bytes.resize(random() % bytes.size());
    writeFileOrFail(path, bytes);
    auto result = readFile(path);
    if (!result.error.empty()) CHECK_THAT(result.error, Catch::StartsWith(path + ": record at offset "));
  }
}
