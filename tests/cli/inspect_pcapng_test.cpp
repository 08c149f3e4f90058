// `sockspec inspect` on pcapng files built block by block (tests/support/pcapng_builder.h): what libpcap's
// pcapng reader accepts (both byte orders, if_tsresol, enhanced and simple packets, unknown blocks, several
// interfaces) is counted, and a hostile file (a truncated block, lengths that lie, an option running past its
// block) ends with exit 2 naming the file and the offset of the block, after what could be read.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "support/built_programs.h"
#include "support/pcapng_builder.h"
#include "support/program_run.h"
#include "support/test_files.h"

using namespace sockspec::testing;

namespace {

constexpr std::uint32_t kClient = kTestClientAddress;
constexpr std::uint32_t kServer = kTestServerAddress;
constexpr std::uint8_t kSyn = 0x02, kAck = 0x10, kPsh = 0x08;

Bytes tcpFrame(bool fromClient, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::string payload = {}) {
  return clientServerTcpFrame(fromClient, flags, seq, ack, std::move(payload));
}

// The same UDP datagram as a raw IPv6 packet (no link header).
Bytes rawUdp6() {
  return ipv6(1, 2, 17, udpHeaderAndPayload(5353, 53, "q"), false);
}

// Section, Ethernet interface 0 (nanoseconds), an unknown block, then a handshake: SYN and SYN-ACK as
// enhanced packets, the ACK as a simple packet (no timestamp).
PcapngBuilder handshake(bool bigEndian) {
  PcapngBuilder builder(bigEndian);
  builder.sectionHeader()
      .interface(kLinkEthernet, 9)
      .block(0x00000BAD, Bytes{1, 2, 3, 4, 5, 6, 7, 8})
      .enhancedPacket(0, 10'000'000'100, tcpFrame(true, kSyn, 100, 0))
      .enhancedPacket(0, 10'000'000'200, tcpFrame(false, kSyn | kAck, 500, 101))
      .simplePacket(tcpFrame(true, kAck, 101, 501));
  return builder;
}

std::string writeCapture(const std::string& bytes) {
  std::string path = tempFilePath("inspect", ".pcapng");
  writeFileOrFail(path, bytes);
  return path;
}

ProgramRun inspectJson(const std::string& path) {
  return runProgram({sockspecBinary(), "inspect", "--json", path}, {}, std::chrono::seconds(20));
}

}  // namespace

TEST_CASE("inspect reads pcapng of either byte order: if_tsresol, enhanced, simple and unknown blocks",
          "[cli][capture][pcapng]") {
  bool bigEndian = GENERATE(false, true);
  INFO((bigEndian ? "big-endian" : "little-endian"));
  PcapngBuilder builder = handshake(bigEndian);
  // A second Ethernet interface counting microseconds (if_tsresol 6) and one in 2^-10 s units (0x80 | 10).
  builder.interface(kLinkEthernet, 6)
      .enhancedPacket(1, 20'000'001,
                      ethernet(ipv4(kClient, kServer, 17, udpHeaderAndPayload(1, 2, "12")), false))
      .interface(kLinkEthernet, 0x8a)
      .enhancedPacket(2, 5 * 1024 + 512, ethernet(rawUdp6(), true));
  std::string path = writeCapture(builder.str());
  auto run = inspectJson(path);
  INFO(run.describe());
  REQUIRE(run.exitedWith(0));
  auto file = nlohmann::json::parse(run.out).at("files").at(0);
  CHECK(file.at("link_type") == "ethernet");
  CHECK(file.at("records") == 5);
  CHECK(file.at("error").is_null());
  const auto& flows = file.at("flows");
  REQUIRE(flows.size() == 3);
  CHECK(flows.at(0).at("packets") == nlohmann::json::array({2, 1}));
  CHECK(flows.at(0).at("history") == "ShA");
  CHECK(flows.at(0).at("start_ns") == 0);  // the simple packet has no timestamp: 0
  CHECK(flows.at(1).at("proto") == "udp");
  CHECK(flows.at(1).at("start_ns") == 20'000'001'000);  // microseconds scaled to nanoseconds
  CHECK(flows.at(1).at("payload_bytes") == nlohmann::json::array({2, 0}));
  CHECK(flows.at(2).at("a") == "[::1]:5353");
  CHECK(flows.at(2).at("start_ns") == 5'500'000'000);  // 5.5 s in 1/1024 s units
}

TEST_CASE("inspect on pcapng whose interfaces differ in link type: libpcap refuses at the second interface",
          "[cli][capture][pcapng]") {
  // libpcap 1.10 reads one link type per file; an interface of another type is an error at its block
  // (sf-pcapng.c: "an interface has a type ... different from the type of the first interface").
  PcapngBuilder builder = handshake(false);
  std::size_t secondInterface = builder.size();
  builder.interface(kLinkRaw).enhancedPacket(1, 1, rawUdp6());
  std::string path = writeCapture(builder.str());
  auto run = inspectJson(path);
  INFO(run.describe());
  CHECK(run.exitedWith(2));
  CHECK_THAT(run.err, Catch::Contains(path + ": record at offset " + std::to_string(secondInterface) + ": "));
  CHECK_THAT(run.err, Catch::Contains("different from the type of the first interface"));
  auto file = nlohmann::json::parse(run.out).at("files").at(0);
  CHECK(file.at("records") == 3);
  CHECK(file.at("flows").at(0).at("packets") == nlohmann::json::array({2, 1}));
}

// inspect on `bytes` must print the 3 packets before `offset`, then exit 2 naming the block at `offset` with
// libpcap's words `expected`.
void requireStopAt(const std::string& bytes, std::size_t offset, const std::string& expected) {
  std::string path = writeCapture(bytes);
  auto run = inspectJson(path);
  INFO(run.describe());
  CHECK(run.exitedWith(2));
  CHECK_THAT(run.err,
             Catch::Contains(path + ": record at offset " + std::to_string(offset) + ": " + expected));
  auto file = nlohmann::json::parse(run.out).at("files").at(0);
  CHECK(file.at("records") == 3);
  CHECK(file.at("flows").at(0).at("packets") == nlohmann::json::array({2, 1}));
  CHECK_THAT(file.at("error").get<std::string>(), Catch::Contains(std::to_string(offset)));
}

TEST_CASE("inspect exits 2 naming the offset of a hostile pcapng block, after the packets before it",
          "[cli][capture][pcapng]") {
  PcapngBuilder builder = handshake(false);
  std::size_t offset = builder.size();
  Bytes frame = tcpFrame(true, kAck | kPsh, 101, 501, "ping");
  SECTION("a truncated block") {
    builder.enhancedPacket(0, 10'000'000'300, frame);
    requireStopAt(builder.str().substr(0, offset + 30), offset, "truncated pcapng dump file");
  }
  SECTION("a block length larger than the file") {
    Bytes body = builder.enhancedPacketBody(0, 1, frame);
    builder.rawBlock(PcapngBuilder::kEnhancedPacket, body, 5000,
                     static_cast<std::uint32_t>(12 + body.size()));
    requireStopAt(builder.str(), offset, "truncated pcapng dump file");
  }
  SECTION("leading and trailing block lengths that differ") {
    Bytes body = builder.enhancedPacketBody(0, 1, frame);
    auto length = static_cast<std::uint32_t>(12 + body.size());
    builder.rawBlock(PcapngBuilder::kEnhancedPacket, body, length, length + 4);
    requireStopAt(builder.str(), offset, "block total length in header and trailer don't match");
  }
  SECTION("a captured length past the end of its block") {
    builder.enhancedPacket(0, 1, frame, 600, 600);
    requireStopAt(builder.str(), offset, "block of type 6 in pcapng dump file is too short");
  }
  SECTION("an option running past the end of its block") {
    Bytes body = builder.interfaceBody(kLinkEthernet);
    builder.option(body, 2, Bytes{'l', 'o'}, 200);  // if_name claims 200 bytes; the block holds 4
    builder.block(PcapngBuilder::kInterfaceDescription, body).enhancedPacket(1, 1, frame);
    requireStopAt(builder.str(), offset, "block of type 1 in pcapng dump file is too short");
  }
  SECTION("a packet on an interface that was never described") {
    builder.enhancedPacket(7, 1, frame);
    requireStopAt(builder.str(), offset,
                  "a packet arrived on interface 7, but there's no Interface Description");
  }
}
