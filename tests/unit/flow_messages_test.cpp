// readFlowMessages on captures built by hand: TCP reassembly into per-packet messages (retransmissions,
// reordering, overlaps), who is the client, UDP, pcapng, where the payload is in a frame, the limits, and
// files that must fail naming the file and the record offset.
#include "capture/flow_messages.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "support/built_programs.h"
#include "support/pcap_builder.h"
#include "support/pcapng_builder.h"
#include "support/test_files.h"

using namespace sockspec::capture;
using namespace sockspec::testing;

namespace {

// Client 127.0.0.1:40000, server 127.0.0.2:7 (pcap_builder.h); client ISN 100, server ISN 500.
Bytes fromClient(std::uint8_t flags, std::uint32_t seq, std::string payload = {}) {
  return clientServerTcpFrame(true, flags, seq, 501, std::move(payload));
}
Bytes fromServer(std::uint8_t flags, std::uint32_t seq, std::string payload = {}) {
  return clientServerTcpFrame(false, flags, seq, 101, std::move(payload));
}

Bytes tcpFrame(std::uint32_t src, std::uint16_t sport, std::uint32_t dst, std::uint16_t dport,
               std::uint8_t flags, std::uint32_t seq, std::string payload = {}) {
  return ethernet(
      ipv4(src, dst, 6, tcpHeaderAndPayload({sport, dport, flags, seq, 0, 65535, std::move(payload)})),
      false);
}

Bytes udpFrame(bool client, std::string payload) {
  Bytes udp = client ? udpHeaderAndPayload(5000, 53, payload) : udpHeaderAndPayload(53, 5000, payload);
  return ethernet(ipv4(client ? kTestClientAddress : kTestServerAddress,
                       client ? kTestServerAddress : kTestClientAddress, 17, udp),
                  false);
}

std::vector<Bytes> handshake() {
  return {fromClient(kTcpSyn, 100), clientServerTcpFrame(false, kTcpSyn | kTcpAck, 500, 101),
          fromClient(kTcpAck, 101)};
}

std::string writeFrames(const std::vector<Bytes>& frames, std::uint32_t linkType = kLinkEthernet) {
  PcapBuilder builder(linkType);
  std::uint32_t usec = 0;
  for (const auto& frame : frames) builder.record(1, usec++, frame);
  std::string path = tempFilePath("flow-messages", ".pcap");
  writeFileOrFail(path, builder.str());
  return path;
}

FlowMessagesResult readOrFail(const std::string& path, const FlowMessagesLimits& limits = {}) {
  auto result = readFlowMessages(path, limits);
  if (!result) FAIL(result.error());
  return std::move(result).value();
}

std::vector<std::string> texts(const std::vector<std::vector<std::uint8_t>>& messages) {
  std::vector<std::string> out;
  for (const auto& message : messages) out.emplace_back(message.begin(), message.end());
  return out;
}

using Texts = std::vector<std::string>;

// The one flow of `frames`, whose messages the test then checks.
FlowMessages onlyFlow(const std::vector<Bytes>& frames) {
  auto result = readOrFail(writeFrames(frames));
  REQUIRE(result.flows.size() == 1);
  CHECK(result.droppedMessages == 0);
  return result.flows[0];
}

std::vector<Bytes> concat(std::vector<Bytes> first, const std::vector<Bytes>& second) {
  first.insert(first.end(), second.begin(), second.end());
  return first;
}

}  // namespace

TEST_CASE("a TCP flow's messages are its packets' payloads in order, each way", "[unit][capture]") {
  auto flow = onlyFlow(concat(handshake(), {
                                               fromClient(kTcpAck | kTcpPsh, 101, "GET "),
                                               fromClient(kTcpAck | kTcpPsh, 105, "/ HTTP/1.0"),
                                               fromServer(kTcpAck | kTcpPsh, 501, "HTTP/1.0 200"),
                                               fromClient(kTcpAck | kTcpPsh, 115, "\r\n\r\n"),
                                               fromServer(kTcpAck | kTcpPsh | kTcpFin, 513, " OK\r\n"),
                                               fromClient(kTcpAck | kTcpFin, 119),
                                           }));
  CHECK(flow.flow == 1);
  CHECK(flow.transport == IpProtocol::Tcp);
  CHECK(formatEndpoint(flow.client) == "127.0.0.1:40000");
  CHECK(formatEndpoint(flow.server) == "127.0.0.2:7");
  CHECK(texts(flow.requests) == Texts{"GET ", "/ HTTP/1.0", "\r\n\r\n"});
  CHECK(texts(flow.replies) == Texts{"HTTP/1.0 200", " OK\r\n"});
}

TEST_CASE("TCP: retransmissions, reordering and overlaps give each new byte once, in sequence order",
          "[unit][capture]") {
  SECTION("a retransmitted segment appears once") {
    auto flow =
        onlyFlow(concat(handshake(), {fromClient(kTcpAck, 101, "abc"), fromClient(kTcpAck, 101, "abc"),
                                      fromClient(kTcpAck, 104, "def"), fromClient(kTcpAck, 101, "abc")}));
    CHECK(texts(flow.requests) == Texts{"abc", "def"});
  }
  SECTION("out-of-order segments are placed by sequence number") {
    auto flow =
        onlyFlow(concat(handshake(), {fromClient(kTcpAck, 107, "ghi"), fromClient(kTcpAck, 104, "def"),
                                      fromClient(kTcpAck, 101, "abc"), fromClient(kTcpAck, 110, "jkl")}));
    CHECK(texts(flow.requests) == Texts{"abc", "def", "ghi", "jkl"});
  }
  SECTION("a partly overlapping segment contributes only its new bytes") {
    auto flow =
        onlyFlow(concat(handshake(), {fromClient(kTcpAck, 101, "abcd"), fromClient(kTcpAck, 103, "cdefg")}));
    CHECK(texts(flow.requests) == Texts{"abcd", "efg"});
  }
  SECTION("a segment spanning pieces fills each gap between them") {
    auto flow = onlyFlow(concat(handshake(), {fromClient(kTcpAck, 101, "ab"), fromClient(kTcpAck, 105, "ef"),
                                              fromClient(kTcpAck, 101, "abcdefgh")}));
    CHECK(texts(flow.requests) == Texts{"ab", "cd", "ef", "gh"});
  }
  SECTION("sequence numbers wrap around 2^32") {
    auto flow = onlyFlow({clientServerTcpFrame(true, kTcpSyn, 0xfffffffdu, 0),
                          clientServerTcpFrame(true, kTcpAck, 0x00000001u, 0, "def"),
                          clientServerTcpFrame(true, kTcpAck, 0xfffffffeu, 0, "abc")});
    CHECK(texts(flow.requests) == Texts{"abc", "def"});
  }
}

TEST_CASE("TCP: zero-length segments, RST payloads and SYN data", "[unit][capture]") {
  SECTION("pure ACKs and an RST's diagnostic payload are not messages") {
    auto flow = onlyFlow(concat(handshake(), {fromClient(kTcpAck, 101, "a"), fromClient(kTcpAck, 102),
                                              fromClient(kTcpRst, 102, "diagnostic")}));
    CHECK(texts(flow.requests) == Texts{"a"});
  }
  SECTION("data on the SYN (TCP Fast Open) comes first") {
    auto flow = onlyFlow({fromClient(kTcpAck, 104, "def"), fromClient(kTcpSyn, 100, "abc"),
                          clientServerTcpFrame(false, kTcpSyn | kTcpAck, 500, 104)});
    CHECK(texts(flow.requests) == Texts{"abc", "def"});
  }
}

TEST_CASE("TCP: the client is the SYN's sender, else the side with the higher port", "[unit][capture]") {
  SECTION("the SYN's sender, even with the lower port") {
    auto flow = onlyFlow({fromServer(kTcpSyn, 500), clientServerTcpFrame(true, kTcpSyn | kTcpAck, 100, 501),
                          fromServer(kTcpAck, 501, "hello")});
    CHECK(formatEndpoint(flow.client) == "127.0.0.2:7");
    CHECK(formatEndpoint(flow.server) == "127.0.0.1:40000");
    CHECK(texts(flow.requests) == Texts{"hello"});
    CHECK(flow.replies.empty());
  }
  SECTION("a capture starting mid-flow with the server's data: the higher port is the client") {
    auto flow = onlyFlow({fromServer(kTcpAck, 900, "reply"), fromClient(kTcpAck, 2003, "def"),
                          fromClient(kTcpAck, 2000, "abc")});
    CHECK(formatEndpoint(flow.client) == "127.0.0.1:40000");
    CHECK(texts(flow.requests) == Texts{"abc", "def"});
    CHECK(texts(flow.replies) == Texts{"reply"});
  }
}

TEST_CASE("UDP: each datagram is a message, the first sender the client", "[unit][capture]") {
  auto flow = onlyFlow({udpFrame(true, "q1"), udpFrame(false, "r1"), udpFrame(true, ""), udpFrame(true, "q2"),
                        udpFrame(true, "q2")});
  CHECK(flow.transport == IpProtocol::Udp);
  CHECK(formatEndpoint(flow.client) == "127.0.0.1:5000");
  CHECK(formatEndpoint(flow.server) == "127.0.0.2:53");
  CHECK(texts(flow.requests) == Texts{"q1", "q2", "q2"});
  CHECK(texts(flow.replies) == Texts{"r1"});
}

TEST_CASE("flows are numbered as inspect numbers them, and those without client payload left out",
          "[unit][capture]") {
  constexpr std::uint32_t kOther = 0x0a000009;  // 10.0.0.9
  auto result = readOrFail(writeFrames({
      tcpFrame(kTestClientAddress, 40001, kTestServerAddress, 9, kTcpSyn, 10),  // flow 1: no data
      tcpFrame(kTestClientAddress, 40002, kTestServerAddress, 7, kTcpSyn, 20),  // flow 2
      tcpFrame(kOther, 50000, kTestServerAddress, 13, kTcpSyn, 30),             // flow 3
      tcpFrame(kOther, 50000, kTestServerAddress, 13, kTcpAck, 31, "time?"),
      tcpFrame(kTestClientAddress, 40002, kTestServerAddress, 7, kTcpAck, 21, "echo"),
      tcpFrame(kTestServerAddress, 9, kTestClientAddress, 40001, kTcpAck, 70, "server only"),
  }));
  REQUIRE(result.flows.size() == 2);
  CHECK(result.flows[0].flow == 2);
  CHECK(formatEndpoint(result.flows[0].server) == "127.0.0.2:7");
  CHECK(formatEndpoint(result.flows[0].client) == "127.0.0.1:40002");
  CHECK(texts(result.flows[0].requests) == Texts{"echo"});
  CHECK(result.flows[1].flow == 3);
  CHECK(formatEndpoint(result.flows[1].server) == "127.0.0.2:13");
  CHECK(formatEndpoint(result.flows[1].client) == "10.0.0.9:50000");
  CHECK(texts(result.flows[1].requests) == Texts{"time?"});
}

TEST_CASE("the payload is found behind every framing and stops where the IP length says", "[unit][capture]") {
  SECTION("Ethernet padding after a short segment is not payload") {
    Bytes padded = fromClient(kTcpAck, 101, "x");
    padded.resize(60, 0);
    CHECK(texts(onlyFlow(concat(handshake(), {padded})).requests) == Texts{"x"});
  }
  SECTION("VLAN tags, IPv6 extension headers and TCP options") {
    TcpSegment segment(40000, 7, kTcpAck, 101, 501, 65535, "");
    Bytes tcp = tcpHeaderAndPayload(segment);
    tcp[12] = 0x70;  // data offset 7: 8 bytes of options (NOPs) before the payload
    tcp.insert(tcp.end(), {1, 1, 1, 1, 1, 1, 1, 1});
    for (char c : std::string("options")) tcp.push_back(static_cast<std::uint8_t>(c));
    auto flow = onlyFlow({ethernet(ipv6(1, 2, 6, tcp, true), true, 2)});
    CHECK(formatEndpoint(flow.client) == "[::1]:40000");
    CHECK(texts(flow.requests) == Texts{"options"});
  }
  SECTION("raw IP and Linux cooked captures") {
    Bytes ip = ipv4(kTestClientAddress, kTestServerAddress, 17, udpHeaderAndPayload(5000, 53, "query"));
    for (auto link : {kLinkRaw, kLinkSll}) {
      INFO("link type " << link);
      auto result = readOrFail(writeFrames({link == kLinkRaw ? ip : linuxSll(ip, false)}, link));
      REQUIRE(result.flows.size() == 1);
      CHECK(texts(result.flows[0].requests) == Texts{"query"});
    }
  }
  SECTION("a payload cut by the snaplen keeps what was captured") {
    Bytes frame = fromClient(kTcpAck, 101, "0123456789");
    PcapBuilder builder(kLinkEthernet, false, false, 60);
    for (const auto& shake : handshake()) builder.record(1, 0, shake);
    builder.record(1, 1, Bytes(frame.begin(), frame.begin() + 60), 60,
                   static_cast<std::int64_t>(frame.size()));
    std::string path = tempFilePath("flow-messages", ".pcap");
    writeFileOrFail(path, builder.str());
    auto result = readOrFail(path);
    REQUIRE(result.flows.size() == 1);
    CHECK(texts(result.flows[0].requests) == Texts{"012345"});  // 14 + 20 + 20 header bytes, then 6 of 10
  }
  SECTION("ARP and ICMP are skipped") {
    Bytes arp(12, 0x02);
    putBe16(arp, 0x0806);
    arp.resize(42, 0);
    Bytes icmp =
        ethernet(ipv4(kTestClientAddress, kTestServerAddress, 1, Bytes{8, 0, 0, 0, 0, 0, 0, 0}), false);
    auto flow = onlyFlow({arp, icmp, udpFrame(true, "q")});
    CHECK(texts(flow.requests) == Texts{"q"});
  }
}

TEST_CASE("pcapng captures give the same messages", "[unit][capture][pcapng]") {
  PcapngBuilder builder;
  builder.sectionHeader().interface(kLinkEthernet, 9);
  std::uint64_t timestamp = 1'000'000'000;
  for (const auto& frame :
       concat(handshake(), {fromClient(kTcpAck, 104, "def"), fromClient(kTcpAck, 101, "abc"),
                            fromServer(kTcpAck, 501, "ok")})) {
    builder.enhancedPacket(0, timestamp++, frame);
  }
  builder.simplePacket(fromClient(kTcpAck, 107, "ghi"));
  std::string path = tempFilePath("flow-messages", ".pcapng");
  writeFileOrFail(path, builder.str());
  auto result = readOrFail(path);
  REQUIRE(result.flows.size() == 1);
  CHECK(texts(result.flows[0].requests) == Texts{"abc", "def", "ghi"});
  CHECK(texts(result.flows[0].replies) == Texts{"ok"});
}

TEST_CASE("files that cannot be read fail naming the file and the record offset", "[unit][capture]") {
  SECTION("a truncated record") {
    PcapBuilder builder(kLinkEthernet);
    builder.record(1, 0, fromClient(kTcpSyn, 100));
    std::string whole = builder.str();
    std::string path = tempFilePath("flow-messages", ".pcap");
    writeFileOrFail(path, whole + whole.substr(24, 30));
    auto result = readFlowMessages(path);
    REQUIRE_FALSE(result);
    CHECK_THAT(result.error(),
               Catch::StartsWith(path + ": record at offset " + std::to_string(whole.size()) + ": "));
  }
  SECTION("a missing file") {
    std::string path = tempFilePath("flow-messages-missing", ".pcap");
    auto result = readFlowMessages(path);
    REQUIRE_FALSE(result);
    CHECK_THAT(result.error(), Catch::StartsWith(path + ": record at offset 0: "));
  }
  SECTION("an unsupported link type") {
    std::string wifi = writeFrames({fromClient(kTcpSyn, 100)}, 105);  // LINKTYPE_IEEE802_11
    auto result = readFlowMessages(wifi);
    REQUIRE_FALSE(result);
    CHECK_THAT(result.error(), Catch::StartsWith(wifi + ": link type 105 (IEEE802_11) is not supported"));
    std::string user = writeFrames({fromClient(kTcpSyn, 100)}, 147);  // LINKTYPE_USER0: libpcap has no name
    result = readFlowMessages(user);
    REQUIRE_FALSE(result);
    CHECK_THAT(result.error(), Catch::StartsWith(user + ": link type 147 is not supported"));
  }
}

TEST_CASE("the limits are enforced and counted", "[unit][capture]") {
  std::vector<Bytes> frames =
      concat(handshake(), {fromClient(kTcpAck, 101, "abcdef"), fromServer(kTcpAck, 501, "1"),
                           fromClient(kTcpAck, 107, "gh"), fromServer(kTcpAck, 502, "2"),
                           fromClient(kTcpAck, 109, "ijklmn")});
  std::string path = writeFrames(frames);
  SECTION("maxMessagesPerFlow, for each direction") {
    FlowMessagesLimits limits;
    limits.maxMessagesPerFlow = 2;
    auto result = readOrFail(path, limits);
    REQUIRE(result.flows.size() == 1);
    CHECK(texts(result.flows[0].requests) == Texts{"abcdef", "gh"});
    CHECK(texts(result.flows[0].replies) == Texts{"1", "2"});
    CHECK(result.droppedMessages == 1);
    CHECK(result.truncatedMessages == 0);
  }
  SECTION("maxMessageBytes: longer messages are cut, and a retransmission of one is still not new") {
    FlowMessagesLimits limits;
    limits.maxMessageBytes = 4;
    auto result = readOrFail(writeFrames(concat(frames, {fromClient(kTcpAck, 101, "abcdef")})), limits);
    REQUIRE(result.flows.size() == 1);
    CHECK(texts(result.flows[0].requests) == Texts{"abcd", "gh", "ijkl"});
    CHECK(result.truncatedMessages == 2);
    CHECK(result.droppedMessages == 0);
  }
  SECTION("maxTotalBytes: a message that does not fit is dropped") {
    FlowMessagesLimits limits;
    limits.maxTotalBytes = 9;
    auto result = readOrFail(path, limits);
    REQUIRE(result.flows.size() == 1);
    CHECK(texts(result.flows[0].requests) == Texts{"abcdef", "gh"});
    CHECK(texts(result.flows[0].replies) == Texts{"1"});
    CHECK(result.droppedMessages == 2);
  }
  SECTION("maxFlows: the packets of later flows are dropped") {
    FlowMessagesLimits limits;
    limits.maxFlows = 1;
    auto result = readOrFail(
        writeFrames(concat(frames, {udpFrame(true, "q"), udpFrame(false, "r"), udpFrame(true, "")})), limits);
    REQUIRE(result.flows.size() == 1);
    CHECK(result.flows[0].transport == IpProtocol::Tcp);
    CHECK(result.droppedMessages == 2);
  }
}

TEST_CASE("mutated captures are read within the limits or rejected, never crash", "[unit][capture]") {
  // A cheap in-test mutation run (fixed seed), as pcap_dissect_test does for the reader: sequence numbers,
  // lengths and flags go wrong in every way, and the limits must hold whatever comes out.
  std::vector<Bytes> frames =
      concat(handshake(), {fromClient(kTcpAck, 104, "def"), fromClient(kTcpAck, 101, "abcd"),
                           fromServer(kTcpAck, 501, "reply"), fromClient(kTcpAck, 107, "ghij"),
                           udpFrame(true, "query"), udpFrame(false, "answer")});
  PcapBuilder builder(kLinkEthernet);
  for (const auto& frame : frames) builder.record(1, 0, frame);
  const std::string good = builder.str();
  FlowMessagesLimits limits;
  limits.maxFlows = 2;
  limits.maxMessagesPerFlow = 3;
  limits.maxMessageBytes = 3;
  limits.maxTotalBytes = 16;
  std::uint32_t state = 4242;
  auto random = [&state]() {
    state = state * 1103515245u + 12345u;
    return state >> 8;
  };
  std::string path = tempFilePath("flow-messages-mutated", ".pcap");
  for (int i = 0; i < 1000; ++i) {
    std::string bytes = good;
    for (std::uint32_t flips = 1 + random() % 8; flips != 0; --flips) {
      bytes[random() % bytes.size()] = static_cast<char>(random());
    }
    if (random() % 4 == 0) bytes.resize(random() % bytes.size());
    writeFileOrFail(path, bytes);
    auto result = readFlowMessages(path, limits);
    if (!result) {
      CHECK_THAT(result.error(), Catch::StartsWith(path + ": "));
      continue;
    }
    REQUIRE(result->flows.size() <= limits.maxFlows);
    std::size_t total = 0;
    for (const auto& flow : result->flows) {
      REQUIRE_FALSE(flow.requests.empty());
      REQUIRE(flow.requests.size() <= limits.maxMessagesPerFlow);
      REQUIRE(flow.replies.size() <= limits.maxMessagesPerFlow);
      for (const auto* messages : {&flow.requests, &flow.replies}) {
        for (const auto& message : *messages) {
          REQUIRE_FALSE(message.empty());
          REQUIRE(message.size() <= limits.maxMessageBytes);
          total += message.size();
        }
      }
    }
    REQUIRE(total <= limits.maxTotalBytes);
  }
}
