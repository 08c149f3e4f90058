// What a failed service check says of the wire (capture/wire_account.h), on packets built by hand: the
// handshake's outcome, who sent FIN or RST and in which frame, the bytes each way (once each, however often
// retransmitted), the data an RST followed, the bound on connections, UDP clients, and a pcap file read back.
#include "capture/wire_account.h"

#include <catch2/catch.hpp>
#include <string>

#include "support/built_programs.h"
#include "support/pcap_builder.h"
#include "support/test_files.h"

using namespace sockspec::capture;
using namespace sockspec::testing;

namespace {

constexpr std::uint32_t kClient = 0x7f000001;  // 127.0.0.1
constexpr std::uint32_t kServer = 0x7f000001;  // the same host, port 7

PacketEndpoint server() {
  PacketEndpoint endpoint;
  REQUIRE(parseAddress("127.0.0.1", endpoint.address));
  endpoint.port = 7;
  return endpoint;
}

// Frames numbered from 1 as they are added, dissected as the capture's reader would.
class Wire {
 public:
  Wire& tcp(std::uint16_t clientPort, bool fromClient, std::uint8_t flags, std::uint32_t seq,
            std::uint32_t ack, std::string payload = {}) {
    TcpSegment segment = fromClient ? TcpSegment(clientPort, 7, flags, seq, ack, 65535, std::move(payload))
                                    : TcpSegment(7, clientPort, flags, seq, ack, 65535, std::move(payload));
    return frame(ethernet(ipv4(kClient, kServer, 6, tcpHeaderAndPayload(segment)), false));
  }
  Wire& udp(std::uint16_t clientPort, bool fromClient, const std::string& payload) {
    Bytes datagram = fromClient ? udpHeaderAndPayload(clientPort, 7, payload)
                                : udpHeaderAndPayload(7, clientPort, payload);
    return frame(ethernet(ipv4(kClient, kServer, 17, datagram), false));
  }
  // The client's SYN (ISN 100) and the server's SYN-ACK (ISN 500).
  Wire& handshake(std::uint16_t clientPort) {
    return tcp(clientPort, true, kTcpSyn, 100, 0).tcp(clientPort, false, kTcpSyn | kTcpAck, 500, 101);
  }
  // A connection from `clientPort` that opens, carries 3 bytes each way and closes with a FIN each way.
  Wire& orderly(std::uint16_t clientPort) {
    return handshake(clientPort)
        .tcp(clientPort, true, kTcpAck, 101, 501)
        .tcp(clientPort, true, kTcpAck | kTcpPsh, 101, 501, "abc")
        .tcp(clientPort, false, kTcpAck | kTcpPsh, 501, 104, "abc")
        .tcp(clientPort, true, kTcpAck | kTcpFin, 104, 504)
        .tcp(clientPort, false, kTcpAck | kTcpFin, 504, 105)
        .tcp(clientPort, true, kTcpAck, 105, 505);
  }
  std::string describe(std::size_t limit = 3) const {
    WireAccount account(server());
    for (std::size_t i = 0; i < m_frames.size(); ++i) {
      DissectedPacket packet;
      REQUIRE(dissectPacket(LinkType::Ethernet, m_frames[i], packet) == DissectStatus::Ok);
      account.add(i + 1, packet, 0, static_cast<std::uint32_t>(m_frames[i].size()));
    }
    return account.describe(limit);
  }
  std::string pcap() const {
    PcapBuilder builder(kLinkEthernet);
    for (const auto& frame : m_frames) builder.record(1, 0, frame);
    return builder.str();
  }

 private:
  Wire& frame(Bytes bytes) {
    m_frames.push_back(std::move(bytes));
    return *this;
  }
  std::vector<Bytes> m_frames;
};

}  // namespace

TEST_CASE("an orderly connection is told by its handshake, FINs and bytes, with no likely cause",
          "[wire-account]") {
  CHECK(Wire().orderly(40000).describe() ==
        "client 127.0.0.1:40000: SYN #1, SYN-ACK #2, client FIN #6, server FIN #7; client sent 3 bytes, "
        "server 3");
}

TEST_CASE("a reply lost to an RST: the server's data, then its RST, after the client's FIN",
          "[wire-account]") {
  Wire wire;
  wire.handshake(40000)
      .tcp(40000, true, kTcpAck | kTcpPsh, 101, 501, std::string(1000, 'x'))
      .tcp(40000, true, kTcpAck | kTcpPsh, 1101, 501, std::string(1000, 'y'))
      .tcp(40000, true, kTcpAck | kTcpFin, 2101, 501)
      .tcp(40000, false, kTcpAck | kTcpPsh, 501, 2102, std::string(600, 'x'))
      .tcp(40000, false, kTcpAck | kTcpRst, 1101, 2102);
  CHECK(wire.describe() ==
        "client 127.0.0.1:40000: SYN #1, SYN-ACK #2, client FIN #5, server RST #7 right after its data #6; "
        "client "
        "sent 2000 bytes, server 600 (likely: the server closed with input unread, or with SO_LINGER 0: its "
        "RST "
        "discards what it had not sent yet; RFC 2525 2.17)");
}

TEST_CASE("a retransmitted segment counts its bytes once, and is counted as a retransmission",
          "[wire-account]") {
  Wire wire;
  wire.handshake(40000)
      .tcp(40000, true, kTcpAck | kTcpPsh, 101, 501, "hello")
      .tcp(40000, true, kTcpAck | kTcpPsh, 101, 501, "hello")
      .tcp(40000, true, kTcpAck | kTcpFin, 106, 501)
      .tcp(40000, false, kTcpAck | kTcpFin, 501, 107);
  CHECK(wire.describe() ==
        "client 127.0.0.1:40000: SYN #1, SYN-ACK #2, client FIN #5, server FIN #6; client sent 5 "
        "bytes, server 0, 1 retransmission");
}

TEST_CASE("a refused SYN and an unanswered one name their likely causes", "[wire-account]") {
  CHECK(Wire().tcp(40000, true, kTcpSyn, 100, 0).tcp(40000, false, kTcpAck | kTcpRst, 0, 101).describe() ==
        "client 127.0.0.1:40000: SYN #1 refused: server RST #2 (likely: nothing listening on that port)");
  CHECK(Wire().tcp(40000, true, kTcpSyn, 100, 0).tcp(40000, true, kTcpSyn, 100, 0).describe() ==
        "client 127.0.0.1:40000: SYN #1 unanswered (sent 2 times) (likely: the listener's accept queue was "
        "full, "
        "or nothing answers SYNs there)");
}

TEST_CASE("data the server never acknowledges points at a full accept queue", "[wire-account]") {
  Wire wire;
  wire.handshake(40000)
      .tcp(40000, true, kTcpAck, 101, 501)
      .tcp(40000, true, kTcpAck | kTcpPsh, 101, 501, "PING\r\n")
      .tcp(40000, false, kTcpSyn | kTcpAck, 500, 101)
      .tcp(40000, true, kTcpAck | kTcpPsh, 101, 501, "PING\r\n");
  CHECK(wire.describe() ==
        "client 127.0.0.1:40000: SYN #1, SYN-ACK #2, no FIN or RST: open at the end of the capture; "
        "client sent 6 bytes, server 0, 2 retransmissions (likely: a full accept queue: the "
        "server's kernel dropped the handshake's last ACK and the data after it; listen(2))");
}

TEST_CASE("a server that never closes, and a connection still open, are said so", "[wire-account]") {
  Wire wire;
  wire.handshake(40000).tcp(40000, true, kTcpAck | kTcpFin, 101, 501);
  CHECK(wire.describe() ==
        "client 127.0.0.1:40000: SYN #1, SYN-ACK #2, client FIN #3, no FIN or RST from the server; "
        "client sent 0 bytes, server 0 (likely: the server did not close after the client's EOF, or never "
        "accepted the connection)");
  Wire open;
  open.handshake(40000);
  CHECK(open.describe() ==
        "client 127.0.0.1:40000: SYN #1, SYN-ACK #2, no FIN or RST: open at the end of the capture; client "
        "sent 0 "
        "bytes, server 0");
  CHECK(Wire().tcp(40000, false, kTcpAck | kTcpPsh, 501, 101, "late").describe() ==
        "client 127.0.0.1:40000: no handshake captured (first packet #1); client sent 0 bytes, server 4");
}

TEST_CASE("the unusual connections come first, at most `limit`, a cause said once, and the rest counted",
          "[wire-account]") {
  Wire wire;
  wire.orderly(40001);
  for (std::uint16_t port = 40002; port < 40007; ++port) {
    wire.tcp(port, true, kTcpSyn, 100, 0).tcp(port, false, kTcpAck | kTcpRst, 0, 101);
  }
  wire.orderly(40007);
  std::string text = wire.describe(2);
  CHECK(text.starts_with(
      "client 127.0.0.1:40002: SYN #9 refused: server RST #10 (likely: nothing listening on that "
      "port); client 127.0.0.1:40003: SYN #11 refused"));
  CHECK(text.find("client 127.0.0.1:40003: SYN #11 refused: server RST #12 (likely: as above)") !=
        std::string::npos);
  CHECK(text.ends_with("; and 5 more connections (3 reset or unfinished, 2 closed with a FIN each way)"));
  // All orderly: the last one stands for them.
  CHECK(Wire().orderly(40001).orderly(40002).describe() ==
        "client 127.0.0.1:40002: SYN #9, SYN-ACK #10, client FIN #14, server FIN #15; client sent 3 bytes, "
        "server 3; "
        "and 1 more connection (all closed with a FIN each way)");
  CHECK(Wire().describe() == "no packets to or from 127.0.0.1:7");
  // The end of a connection made before the capture (a readiness probe's) is counted, not told.
  Wire tail;
  tail.tcp(40001, false, kTcpAck | kTcpFin, 900, 200)
      .handshake(40002)
      .tcp(40002, false, kTcpAck | kTcpRst, 501, 101);
  CHECK(tail.describe() ==
        "client 127.0.0.1:40002: SYN #2, SYN-ACK #3, server RST #4; client sent 0 bytes, server 0 "
        "(likely: the server closed with input unread, or with SO_LINGER 0: its RST discards what "
        "it had not sent yet; RFC 2525 2.17); and 1 more connection (1 begun before the capture)");
  Wire leftoverLast;
  leftoverLast.orderly(40002).tcp(40001, false, kTcpAck | kTcpFin, 900, 200);
  CHECK(leftoverLast.describe().starts_with(
      "client 127.0.0.1:40002: SYN #1, SYN-ACK #2, client FIN #6, server FIN #7"));
  CHECK(leftoverLast.describe().ends_with("; and 1 more connection (1 begun before the capture)"));
}

TEST_CASE("UDP clients: datagrams and bytes each way, an unanswered client first", "[wire-account]") {
  Wire wire;
  wire.udp(40000, true, "hello")
      .udp(40000, false, "hello")
      .udp(40001, true, "lost")
      .udp(40000, true, "again");
  CHECK(wire.describe(1) ==
        "client 127.0.0.1:40001: client sent 1 datagram (#3), 4 bytes; server sent none; and 1 more client "
        "(all "
        "answered)");
  CHECK(wire.describe() ==
        "client 127.0.0.1:40001: client sent 1 datagram (#3), 4 bytes; server sent none; and 1 more client "
        "(all "
        "answered)");
  CHECK(Wire().udp(40000, true, "hello").udp(40000, false, "hello").udp(40000, true, "again").describe() ==
        "client 127.0.0.1:40000: client sent 2 datagrams (#1-#3), 10 bytes; server sent 1 datagram (#2), 5 "
        "bytes");
}

TEST_CASE("describeCaptureFile numbers the frames as the file holds them", "[wire-account]") {
  Wire wire;
  wire.orderly(40000);
  std::string path = tempFilePath("wire-account", ".pcap");
  writeFileOrFail(path, wire.pcap());
  auto described = describeCaptureFile(path, server());
  REQUIRE(described);
  CHECK(*described == wire.describe());
  auto missing = describeCaptureFile(path + ".missing", server());
  REQUIRE(!missing);
  CHECK(missing.error().find(path + ".missing: record at offset 0: ") == 0);
}
