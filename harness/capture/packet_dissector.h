// A pure, bounds-checked packet dissector: the bytes of one captured frame and its link type in, the
// transport 5-tuple and the TCP fields the flow table needs out. It reads nothing beyond `frame` (the fuzz
// target relies on that) and never throws; a frame it cannot follow is reported, not guessed at.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sockspec::capture {

// The link layers inspect understands, by what the frame starts with (see linkTypeFromDlt in
// pcap_file_reader.h for the mapping from libpcap's DLT_ values).
enum class LinkType {
  Ethernet,   // DLT_EN10MB: 14-byte header, then 802.1Q / 802.1ad tags
  LinuxSll,   // DLT_LINUX_SLL: Linux cooked v1, 16 bytes, protocol at offset 14
  LinuxSll2,  // DLT_LINUX_SLL2: Linux cooked v2, 20 bytes, protocol at offset 0
  BsdNull,    // DLT_NULL: 4-byte address family in the capturing host's byte order
  BsdLoop,    // DLT_LOOP: 4-byte address family, big-endian
  RawIp,      // DLT_RAW / DLT_IPV4 / DLT_IPV6: the frame is the IP packet
  Unsupported,
};

std::string_view linkTypeName(LinkType type);

// The IP protocol number of a captured packet (RFC 790): what the wire carried, not a socket kind
// (net/socket_kind.h) nor a URL's transport (net/endpoint.h).
enum class IpProtocol : std::uint8_t { Tcp = 6, Udp = 17 };

// An IPv4 address is stored as an IPv4-mapped IPv6 address (::ffff:a.b.c.d) so both families share one key.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool isV4() const;
  auto operator<=>(const IpAddress&) const = default;
};

// An address and port as a packet carries them; net::Endpoint is where a socket lives, as a URL.
struct PacketEndpoint {
  IpAddress address;
  std::uint16_t port = 0;
  auto operator<=>(const PacketEndpoint&) const = default;
};

// "10.0.0.1:80" or "[::1]:80".
std::string formatEndpoint(const PacketEndpoint& endpoint);
// "10.0.0.1" or "::1".
std::string formatAddress(const IpAddress& address);
// Parses a dotted IPv4 or textual IPv6 address (brackets allowed); false if it is neither.
bool parseAddress(std::string_view text, IpAddress& out);

// TCP header flag bits, as on the wire (RFC 9293 section 3.1).
enum TcpFlag : std::uint8_t {
  kTcpFin = 0x01,
  kTcpSyn = 0x02,
  kTcpRst = 0x04,
  kTcpPsh = 0x08,
  kTcpAck = 0x10,
  kTcpUrg = 0x20,
};

struct DissectedPacket {
  IpProtocol transport = IpProtocol::Tcp;
  PacketEndpoint source;
  PacketEndpoint destination;
  std::uint8_t tcpFlags = 0;
  std::uint32_t seq = 0;
  std::uint32_t ack = 0;
  std::uint16_t window = 0;
  // IpProtocol payload length from the IP length fields, so a snaplen-truncated frame still counts the bytes
  // that were on the wire; only when the IP length is absent (0: TSO, jumbograms) does the captured length
  // stand in.
  std::uint32_t payloadLength = 0;
  bool truncated = false;  // the capture holds fewer bytes than the IP header says were sent
  // Where the payload starts in the frame; at or past the frame's end when the snaplen cut it (or the
  // options) off.
  std::size_t payloadOffset = 0;
};

enum class DissectStatus {
  Ok,
  NotIp,           // ARP, LLDP, an unsupported link type...
  OtherTransport,  // ICMP, SCTP, ESP, a later IPv4/IPv6 fragment...
  Truncated,       // the capture ends inside a header inspect needs
  Malformed,       // a header contradicts itself (IHL < 5, TCP data offset < 5, bad version)
};

std::string_view dissectStatusName(DissectStatus status);

// Dissects one frame. `out` is filled only when the result is Ok.
DissectStatus dissectPacket(LinkType link, std::span<const std::uint8_t> frame, DissectedPacket& out);

}  // namespace sockspec::capture
