#include "capture/packet_dissector.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <cstring>
#include <optional>

namespace sockspec::capture {

namespace {

// A read-only cursor over the frame: every read says whether the bytes were there.
class ByteReader {
 public:
  explicit ByteReader(std::span<const std::uint8_t> bytes) : m_bytes(bytes) {}

  std::size_t size() const { return m_bytes.size(); }
  bool has(std::size_t offset, std::size_t count) const {
    return offset <= m_bytes.size() && count <= m_bytes.size() - offset;
  }
  std::uint8_t u8(std::size_t offset) const { return m_bytes[offset]; }
  std::uint16_t be16(std::size_t offset) const {
    return static_cast<std::uint16_t>((m_bytes[offset] << 8) | m_bytes[offset + 1]);
  }
  std::uint32_t be32(std::size_t offset) const {
    return (std::uint32_t{m_bytes[offset]} << 24) | (std::uint32_t{m_bytes[offset + 1]} << 16) |
           (std::uint32_t{m_bytes[offset + 2]} << 8) | std::uint32_t{m_bytes[offset + 3]};
  }
  void copy(std::size_t offset, std::uint8_t* out, std::size_t count) const {
    std::memcpy(out, m_bytes.data() + offset, count);
  }

 private:
  std::span<const std::uint8_t> m_bytes;
};

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86dd;
constexpr std::uint16_t kEtherVlan = 0x8100;
constexpr std::uint16_t kEtherQinQ = 0x88a8;
constexpr std::uint16_t kEtherQinQOld = 0x9100;
// More stacked tags than this is not a real network; stop rather than walk a crafted tower of them.
constexpr int kMaxVlanTags = 8;
// Likewise for IPv6 extension headers (RFC 8200 section 4.1 expects at most one of each, about 8 kinds).
constexpr int kMaxIpv6ExtensionHeaders = 16;

DissectStatus dissectTransport(const ByteReader& bytes, std::size_t offset, std::uint8_t protocol,
                               std::optional<std::size_t> transportLength, DissectedPacket& out) {
  // transportLength: the bytes of transport header + payload the IP header claims; nullopt when unknown.
  std::size_t captured = bytes.size() - offset;
  std::size_t claimed = transportLength.value_or(captured);
  out.truncated = captured < claimed;
  if (protocol == static_cast<std::uint8_t>(IpProtocol::Udp)) {
    if (!bytes.has(offset, 8)) return DissectStatus::Truncated;
    out.transport = IpProtocol::Udp;
    out.source.port = bytes.be16(offset);
    out.destination.port = bytes.be16(offset + 2);
    std::size_t udpLength = bytes.be16(offset + 4);
    // The UDP length may lie; the IP length is the outer bound (RFC 768; RFC 2675 lets it be 0 for
    // jumbograms).
    std::size_t total = udpLength >= 8 && udpLength <= claimed ? udpLength : claimed;
    out.payloadLength = static_cast<std::uint32_t>(total < 8 ? 0 : total - 8);
    out.payloadOffset = offset + 8;
    return DissectStatus::Ok;
  }
  if (protocol == static_cast<std::uint8_t>(IpProtocol::Tcp)) {
    if (!bytes.has(offset, 20)) return DissectStatus::Truncated;
    out.transport = IpProtocol::Tcp;
    out.source.port = bytes.be16(offset);
    out.destination.port = bytes.be16(offset + 2);
    out.seq = bytes.be32(offset + 4);
    out.ack = bytes.be32(offset + 8);
    std::size_t headerLength = std::size_t{static_cast<std::uint8_t>(bytes.u8(offset + 12) >> 4)} * 4;
    if (headerLength < 20) return DissectStatus::Malformed;
    out.tcpFlags = bytes.u8(offset + 13);
    out.window = bytes.be16(offset + 14);
    // Options may be cut off by the snaplen; only their length matters here.
    out.payloadLength = static_cast<std::uint32_t>(claimed > headerLength ? claimed - headerLength : 0);
    out.payloadOffset = offset + headerLength;
    return DissectStatus::Ok;
  }
  return DissectStatus::OtherTransport;
}

DissectStatus dissectIpv4(const ByteReader& bytes, std::size_t offset, DissectedPacket& out) {
  if (!bytes.has(offset, 20)) return DissectStatus::Truncated;
  std::uint8_t versionIhl = bytes.u8(offset);
  if ((versionIhl >> 4) != 4) return DissectStatus::Malformed;
  std::size_t headerLength = std::size_t{static_cast<std::uint8_t>(versionIhl & 0x0f)} * 4;
  if (headerLength < 20) return DissectStatus::Malformed;
  if (!bytes.has(offset, headerLength)) return DissectStatus::Truncated;
  std::size_t totalLength = bytes.be16(offset + 2);
  std::uint16_t fragment = bytes.be16(offset + 6);
  std::uint8_t protocol = bytes.u8(offset + 9);
  out.source.address = IpAddress{};
  out.destination.address = IpAddress{};
  out.source.address.bytes[10] = out.source.address.bytes[11] = 0xff;
  out.destination.address.bytes[10] = out.destination.address.bytes[11] = 0xff;
  bytes.copy(offset + 12, out.source.address.bytes.data() + 12, 4);
  bytes.copy(offset + 16, out.destination.address.bytes.data() + 12, 4);
  // A non-first fragment carries no transport header (RFC 791).
  if ((fragment & 0x1fff) != 0) return DissectStatus::OtherTransport;
  std::optional<std::size_t> transportLength;
  if (totalLength != 0) {  // 0: TCP segmentation offload left it unset on an outgoing capture
    if (totalLength < headerLength) return DissectStatus::Malformed;
    transportLength = totalLength - headerLength;
  }
  return dissectTransport(bytes, offset + headerLength, protocol, transportLength, out);
}

DissectStatus dissectIpv6(const ByteReader& bytes, std::size_t offset, DissectedPacket& out) {
  if (!bytes.has(offset, 40)) return DissectStatus::Truncated;
  if ((bytes.u8(offset) >> 4) != 6) return DissectStatus::Malformed;
  std::size_t payloadLength = bytes.be16(offset + 4);
  std::uint8_t next = bytes.u8(offset + 6);
  bytes.copy(offset + 8, out.source.address.bytes.data(), 16);
  bytes.copy(offset + 24, out.destination.address.bytes.data(), 16);
  std::size_t cursor = offset + 40;
  std::size_t consumed = 0;  // extension-header bytes, subtracted from the payload length
  for (int count = 0;; ++count) {
    if (next != 0 && next != 43 && next != 60 && next != 44 && next != 51) break;
    if (count == kMaxIpv6ExtensionHeaders) return DissectStatus::Malformed;
    if (!bytes.has(cursor, 8)) return DissectStatus::Truncated;
    std::size_t length = 0;
    if (next == 44) {  // Fragment (RFC 8200 4.5): fixed 8 bytes; a later fragment has no transport header
      if ((bytes.be16(cursor + 2) & 0xfff8) != 0) return DissectStatus::OtherTransport;
      length = 8;
    } else if (next == 51) {  // AH (RFC 4302): length in 4-octet units minus 2
      length = (std::size_t{bytes.u8(cursor + 1)} + 2) * 4;
    } else {  // Hop-by-hop, Routing, Destination options: 8-octet units not counting the first 8
      length = (std::size_t{bytes.u8(cursor + 1)} + 1) * 8;
    }
    next = bytes.u8(cursor);
    if (!bytes.has(cursor, length)) return DissectStatus::Truncated;
    cursor += length;
    consumed += length;
  }
  std::optional<std::size_t> transportLength;
  if (payloadLength != 0) {  // 0: a jumbogram (RFC 2675) or TSO
    if (payloadLength < consumed) return DissectStatus::Malformed;
    transportLength = payloadLength - consumed;
  }
  return dissectTransport(bytes, cursor, next, transportLength, out);
}

DissectStatus dissectByVersion(const ByteReader& bytes, std::size_t offset, DissectedPacket& out) {
  if (!bytes.has(offset, 1)) return DissectStatus::Truncated;
  switch (bytes.u8(offset) >> 4) {
    case 4:
      return dissectIpv4(bytes, offset, out);
    case 6:
      return dissectIpv6(bytes, offset, out);
    default:
      return DissectStatus::NotIp;
  }
}

// From an EtherType at `typeOffset` (with its payload right after), through any VLAN tags, to IP.
DissectStatus dissectEtherType(const ByteReader& bytes, std::size_t typeOffset, DissectedPacket& out) {
  for (int tags = 0;; ++tags) {
    if (!bytes.has(typeOffset, 2)) return DissectStatus::Truncated;
    std::uint16_t type = bytes.be16(typeOffset);
    if (type == kEtherIpv4) return dissectIpv4(bytes, typeOffset + 2, out);
    if (type == kEtherIpv6) return dissectIpv6(bytes, typeOffset + 2, out);
    if (type != kEtherVlan && type != kEtherQinQ && type != kEtherQinQOld) return DissectStatus::NotIp;
    if (tags == kMaxVlanTags) return DissectStatus::Malformed;
    typeOffset += 4;  // the 2-byte tag control information, then the next EtherType
  }
}

}  // namespace

bool IpAddress::isV4() const {
  for (std::size_t i = 0; i < 10; ++i) {
    if (bytes[i] != 0) return false;
  }
  return bytes[10] == 0xff && bytes[11] == 0xff;
}

std::string formatAddress(const IpAddress& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.isV4()) {
    ::inet_ntop(AF_INET, address.bytes.data() + 12, text, sizeof text);
  } else {
    ::inet_ntop(AF_INET6, address.bytes.data(), text, sizeof text);
  }
  return text;
}

std::string formatEndpoint(const PacketEndpoint& endpoint) {
  if (endpoint.address.isV4()) return fmt::format("{}:{}", formatAddress(endpoint.address), endpoint.port);
  return fmt::format("[{}]:{}", formatAddress(endpoint.address), endpoint.port);
}

bool parseAddress(std::string_view text, IpAddress& out) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  std::string copy(text);
  IpAddress parsed;
  std::uint8_t v4[4];
  if (::inet_pton(AF_INET, copy.c_str(), v4) == 1) {
    parsed.bytes[10] = parsed.bytes[11] = 0xff;
    std::memcpy(parsed.bytes.data() + 12, v4, 4);
  } else if (::inet_pton(AF_INET6, copy.c_str(), parsed.bytes.data()) != 1) {
    return false;
  }
  out = parsed;
  return true;
}

std::string_view linkTypeName(LinkType type) {
  switch (type) {
    case LinkType::Ethernet:
      return "ethernet";
    case LinkType::LinuxSll:
      return "linux-sll";
    case LinkType::LinuxSll2:
      return "linux-sll2";
    case LinkType::BsdNull:
      return "null";
    case LinkType::BsdLoop:
      return "loop";
    case LinkType::RawIp:
      return "raw";
    case LinkType::Unsupported:
      return "unsupported";
  }
  return "unsupported";
}

std::string_view dissectStatusName(DissectStatus status) {
  switch (status) {
    case DissectStatus::Ok:
      return "ok";
    case DissectStatus::NotIp:
      return "not-ip";
    case DissectStatus::OtherTransport:
      return "other-transport";
    case DissectStatus::Truncated:
      return "truncated";
    case DissectStatus::Malformed:
      return "malformed";
  }
  return "malformed";
}

DissectStatus dissectPacket(LinkType link, std::span<const std::uint8_t> frame, DissectedPacket& out) {
  ByteReader bytes(frame);
  DissectedPacket packet;
  DissectStatus status = DissectStatus::NotIp;
  switch (link) {
    case LinkType::Ethernet:
      status = dissectEtherType(bytes, 12, packet);
      break;
    case LinkType::LinuxSll:
      status = dissectEtherType(bytes, 14, packet);
      break;
    case LinkType::LinuxSll2: {
      // SLL2's protocol field is at offset 0 but the payload starts at 20, so VLAN tags cannot follow it
      // directly; read the type here and hand IP on.
      if (!bytes.has(0, 20)) return DissectStatus::Truncated;
      std::uint16_t type = bytes.be16(0);
      if (type == kEtherIpv4)
        status = dissectIpv4(bytes, 20, packet);
      else if (type == kEtherIpv6)
        status = dissectIpv6(bytes, 20, packet);
      else
        status = DissectStatus::NotIp;
      break;
    }
    // The 4-byte family word is in the capturing host's byte order for DLT_NULL and the BSDs number AF_INET6
    // differently (24, 28, 30); the IP version nibble says the same thing without either ambiguity.
    case LinkType::BsdNull:
    case LinkType::BsdLoop:
      if (!bytes.has(0, 4)) return DissectStatus::Truncated;
      status = dissectByVersion(bytes, 4, packet);
      break;
    case LinkType::RawIp:
      status = dissectByVersion(bytes, 0, packet);
      break;
    case LinkType::Unsupported:
      status = DissectStatus::NotIp;
      break;
  }
  if (status == DissectStatus::Ok) out = packet;
  return status;
}

}  // namespace sockspec::capture
