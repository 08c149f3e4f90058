// The wire steps' evaluator on packet lists built by hand: each assertion passing on the trace that shows
// it, failing on one that does not, with the packet numbers (the pcap's frame numbers) in the message.
#include "runner/wire_assertions.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "capture/live_capture.h"

using namespace sockspec;
using capture::NumberedPacket;
using runner::ConnectionEnds;
using runner::wireAssertionMismatch;
using scenario::WireAssertion;

namespace {

capture::PacketEndpoint loopback(std::uint16_t port) {
  capture::PacketEndpoint endpoint;
  endpoint.address.bytes[10] = 0xff;
  endpoint.address.bytes[11] = 0xff;
  endpoint.address.bytes[12] = 127;
  endpoint.address.bytes[15] = 1;
  endpoint.port = port;
  return endpoint;
}

const capture::PacketEndpoint kClient = loopback(40000);
const capture::PacketEndpoint kServer = loopback(35000);
const ConnectionEnds kClientSide{kClient, kServer};
const ConnectionEnds kServerSide{kServer, kClient};

constexpr std::uint8_t kSyn = capture::kTcpSyn;
constexpr std::uint8_t kAck = capture::kTcpAck;
constexpr std::uint8_t kFin = capture::kTcpFin | capture::kTcpAck;
constexpr std::uint8_t kRst = capture::kTcpRst | capture::kTcpAck;

NumberedPacket packet(std::uint64_t number, const capture::PacketEndpoint& from, const capture::PacketEndpoint& to,
                      std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::uint32_t length = 0) {
  NumberedPacket p;
  p.number = number;
  p.packet.source = from;
  p.packet.destination = to;
  p.packet.tcpFlags = flags;
  p.packet.seq = seq;
  p.packet.ack = ack;
  p.packet.payloadLength = length;
  return p;
}

std::vector<NumberedPacket> handshakeAndData() {
  return {packet(1, kClient, kServer, kSyn, 100, 0), packet(2, kServer, kClient, kSyn | kAck, 500, 101),
          packet(3, kClient, kServer, kAck, 101, 501), packet(4, kClient, kServer, kAck, 101, 501, 5),
          packet(5, kServer, kClient, kAck, 501, 106)};
}

// The server closes first, the client answers with its own FIN: the server is left in TIME_WAIT. Packet
// #8 belongs to another connection and must be ignored.
std::vector<NumberedPacket> orderlyCloseByServer() {
  auto trace = handshakeAndData();
  trace.push_back(packet(6, kServer, kClient, kFin, 501, 106));
  trace.push_back(packet(7, kClient, kServer, kAck, 106, 502));
  trace.push_back(packet(8, loopback(40001), kServer, kRst, 7, 7));
  trace.push_back(packet(9, kClient, kServer, kFin, 106, 502));
  trace.push_back(packet(10, kServer, kClient, kAck, 502, 107));
  return trace;
}

// close() with unread data: an RST from the server, no FIN.
std::vector<NumberedPacket> resetByServer() {
  auto trace = handshakeAndData();
  trace.push_back(packet(6, kServer, kClient, kRst, 501, 106));
  return trace;
}

}  // namespace

TEST_CASE("wire handshake: SYN, SYN-ACK for it, and the ACK of the SYN-ACK") {
  auto trace = handshakeAndData();
  CHECK(wireAssertionMismatch(WireAssertion::Handshake, 0, kClientSide, trace).empty());
  CHECK(wireAssertionMismatch(WireAssertion::Handshake, 0, kServerSide, trace).empty());
  std::vector<NumberedPacket> noAnswer{packet(1, kClient, kServer, kSyn, 100, 0),
                                       packet(3, kClient, kServer, kSyn, 100, 0)};
  CHECK(wireAssertionMismatch(WireAssertion::Handshake, 0, kClientSide, noAnswer) ==
        "expected a completed handshake (SYN, SYN-ACK, ACK) between 127.0.0.1:40000 and 127.0.0.1:35000; SYN "
        "#1 "
        "got no SYN-ACK in packets #1-#3 of this connection (from 127.0.0.1:40000: SYN #1, SYN #3; from "
        "127.0.0.1:35000: no SYN, FIN or RST)");
  trace.resize(2);
  CHECK(wireAssertionMismatch(WireAssertion::Handshake, 0, kClientSide, trace) ==
        "expected a completed handshake (SYN, SYN-ACK, ACK) between 127.0.0.1:40000 and 127.0.0.1:35000; "
        "SYN-ACK "
        "#2 was never acknowledged in packets #1-#2 of this connection (from 127.0.0.1:40000: SYN #1; from "
        "127.0.0.1:35000: SYN-ACK #2)");
}

TEST_CASE("wire first-fin and time-wait: who closed first and is left in TIME_WAIT") {
  auto trace = orderlyCloseByServer();
  CHECK(wireAssertionMismatch(WireAssertion::FirstFin, 0, kServerSide, trace).empty());
  CHECK(wireAssertionMismatch(WireAssertion::TimeWait, 0, kServerSide, trace).empty());
  CHECK(wireAssertionMismatch(WireAssertion::FirstFin, 0, kClientSide, trace) ==
        "expected the first FIN from 127.0.0.1:40000 to 127.0.0.1:35000; the first FIN is #6, from "
        "127.0.0.1:35000, in packets #1-#10 of this connection (from 127.0.0.1:40000: SYN #1, FIN #9; from "
        "127.0.0.1:35000: SYN-ACK #2, FIN #6)");
  CHECK(wireAssertionMismatch(WireAssertion::TimeWait, 0, kClientSide, trace)
            .find("the first FIN is #6, from 127.0.0.1:35000") != std::string::npos);
  // Without the last ACK the server has not acknowledged the client's FIN: it is in LAST-ACK's mirror,
  // CLOSING or FIN-WAIT-2, not TIME-WAIT.
  trace.pop_back();
  CHECK(
      wireAssertionMismatch(WireAssertion::TimeWait, 0, kServerSide, trace) ==
      "expected 127.0.0.1:35000 to be left in TIME_WAIT (first FIN from it, the peer's FIN acknowledged, no "
      "RST); FIN #9 from 127.0.0.1:40000 was never acknowledged in packets #1-#9 of this connection (from "
      "127.0.0.1:35000: SYN-ACK #2, FIN #6; from 127.0.0.1:40000: SYN #1, FIN #9)");
  // An RST after the FINs ends the connection at once: no TIME_WAIT.
  auto reset = orderlyCloseByServer();
  reset.push_back(packet(11, kClient, kServer, kRst, 107, 0));
  CHECK(wireAssertionMismatch(WireAssertion::TimeWait, 0, kServerSide, reset)
            .find("; RST at #11 in packets #1-#11") != std::string::npos);
}

TEST_CASE("wire rst, rst-to, no-rst and no-fin: which side reset the connection") {
  auto trace = resetByServer();
  CHECK(wireAssertionMismatch(WireAssertion::Rst, 0, kServerSide, trace).empty());
  CHECK(wireAssertionMismatch(WireAssertion::RstTo, 0, kClientSide, trace).empty());
  CHECK(wireAssertionMismatch(WireAssertion::NoRst, 0, kClientSide, trace).empty());
  CHECK(wireAssertionMismatch(WireAssertion::NoFin, 0, kServerSide, trace).empty());
  CHECK(wireAssertionMismatch(WireAssertion::Rst, 0, kClientSide, trace) ==
        "expected an RST from 127.0.0.1:40000 to 127.0.0.1:35000; none in packets #1-#6 of this connection "
        "(from "
        "127.0.0.1:40000: SYN #1; from 127.0.0.1:35000: SYN-ACK #2, RST #6)");
  CHECK(wireAssertionMismatch(WireAssertion::RstTo, 0, kServerSide, trace) ==
        "expected an RST from 127.0.0.1:40000 to 127.0.0.1:35000; none in packets #1-#6 of this connection "
        "(from "
        "127.0.0.1:35000: SYN-ACK #2, RST #6; from 127.0.0.1:40000: SYN #1)");
  CHECK(wireAssertionMismatch(WireAssertion::NoRst, 0, kServerSide, trace) ==
        "expected no RST from 127.0.0.1:35000 to 127.0.0.1:40000; RST at #6 in packets #1-#6 of this "
        "connection "
        "(from 127.0.0.1:35000: SYN-ACK #2, RST #6; from 127.0.0.1:40000: SYN #1)");
  auto orderly = orderlyCloseByServer();
  CHECK(wireAssertionMismatch(WireAssertion::Rst, 0, kServerSide, orderly).find("none in packets #1-#10") !=
        std::string::npos);
  CHECK(wireAssertionMismatch(WireAssertion::NoFin, 0, kServerSide, orderly)
            .find("expected no FIN from 127.0.0.1:35000 to "
                  "127.0.0.1:40000; FIN at #6 in") == 0);
}

TEST_CASE("wire fin-data: the side's first FIN carries payload") {
  auto trace = handshakeAndData();
  trace.push_back(packet(6, kClient, kServer, kFin, 106, 501, 10));
  CHECK(wireAssertionMismatch(WireAssertion::FinData, 0, kClientSide, trace).empty());
  trace.back().packet.payloadLength = 0;
  CHECK(wireAssertionMismatch(WireAssertion::FinData, 0, kClientSide, trace) ==
        "expected the FIN from 127.0.0.1:40000 to 127.0.0.1:35000 to carry data; FIN #6 carries none, in "
        "packets "
        "#1-#6 of this connection (from 127.0.0.1:40000: SYN #1, FIN #6; from 127.0.0.1:35000: SYN-ACK #2)");
  CHECK(wireAssertionMismatch(WireAssertion::FinData, 0, kServerSide, trace)
            .find("; it sent no FIN in packets #1-#6") != std::string::npos);
}

TEST_CASE("wire syn-retransmits and no-syn-ack: a SYN the full accept queue dropped") {
  std::vector<NumberedPacket> trace{packet(3, kClient, kServer, kSyn, 100, 0),
                                    packet(4, loopback(40001), kServer, kSyn, 9, 0),
                                    packet(7, kClient, kServer, kSyn, 100, 0)};
  CHECK(wireAssertionMismatch(WireAssertion::SynRetransmits, 1, kClientSide, trace).empty());
  CHECK(wireAssertionMismatch(WireAssertion::NoSynAck, 0, kClientSide, trace).empty());
  CHECK(
      wireAssertionMismatch(WireAssertion::SynRetransmits, 0, kClientSide, trace) ==
      "expected 0 SYN retransmissions from 127.0.0.1:40000 to 127.0.0.1:35000, saw 1 (SYN at #3, #7) in "
      "packets "
      "#3-#7 of this connection (from 127.0.0.1:40000: SYN #3, SYN #7; from 127.0.0.1:35000: no SYN, FIN or "
      "RST)");
  trace.push_back(packet(8, kServer, kClient, kSyn | kAck, 500, 101));
  CHECK(wireAssertionMismatch(WireAssertion::NoSynAck, 0, kClientSide, trace) ==
        "expected no SYN-ACK from 127.0.0.1:35000 to 127.0.0.1:40000; SYN-ACK at #8 in packets #3-#8 of this "
        "connection (from 127.0.0.1:40000: SYN #3, SYN #7; from 127.0.0.1:35000: SYN-ACK #8)");
  CHECK(wireAssertionMismatch(WireAssertion::SynRetransmits, 0, kServerSide, trace)
            .find("; it sent no SYN, in") != std::string::npos);
}

TEST_CASE("a connection with no packets says so, with the count of what was captured") {
  std::vector<NumberedPacket> other{packet(1, loopback(1), loopback(2), kSyn, 1, 0)};
  CHECK(wireAssertionMismatch(WireAssertion::Rst, 0, kClientSide, other) ==
        "expected an RST from 127.0.0.1:40000 to 127.0.0.1:35000; none in the capture (1 TCP packet, none "
        "between 127.0.0.1:40000 and 127.0.0.1:35000)");
  CHECK(wireAssertionMismatch(WireAssertion::NoRst, 0, kClientSide, {}).empty());
}
