// Builds classic pcap files byte by byte for the capture tests: either byte order, usec or nsec magic, any
// link type, and frames (IPv4/IPv6 TCP and UDP, with Ethernet, VLAN, cooked or NULL framing) put together by
// hand, so a test states exactly what is on the "wire" and can also lie about lengths on purpose.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sockspec::testing {

using Bytes = std::vector<std::uint8_t>;

inline void putBe16(Bytes& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
inline void putBe32(Bytes& out, std::uint32_t v) {
  putBe16(out, v >> 16);
  putBe16(out, v & 0xffff);
}

// File link types (LINKTYPE_ values, https://www.tcpdump.org/linktypes.html).
enum FileLinkType : std::uint32_t {
  kLinkNull = 0,
  kLinkEthernet = 1,
  kLinkRaw = 101,
  kLinkLoop = 108,
  kLinkSll = 113,
  kLinkSll2 = 276,
};

class PcapBuilder {
 public:
  PcapBuilder(std::uint32_t linkType, bool bigEndian = false, bool nano = false,
              std::uint32_t snaplen = 65535)
      : m_bigEndian(bigEndian) {
    put32(nano ? 0xa1b23c4du : 0xa1b2c3d4u);
    put16(2);
    put16(4);
    put32(0);
    put32(0);
    put32(snaplen);
    put32(linkType);
  }
  // A record; caplen and wire length default to the frame's size.
  PcapBuilder& record(std::uint32_t sec, std::uint32_t frac, const Bytes& frame, std::int64_t caplen = -1,
                      std::int64_t wireLength = -1) {
    put32(sec);
    put32(frac);
    put32(static_cast<std::uint32_t>(caplen < 0 ? static_cast<std::int64_t>(frame.size()) : caplen));
    put32(static_cast<std::uint32_t>(wireLength < 0 ? static_cast<std::int64_t>(frame.size()) : wireLength));
    m_bytes.insert(m_bytes.end(), frame.begin(), frame.end());
    return *this;
  }
  std::size_t size() const { return m_bytes.size(); }
  std::string str() const { return std::string(m_bytes.begin(), m_bytes.end()); }

 private:
  void put16(std::uint32_t v) {
    if (m_bigEndian) {
      putBe16(m_bytes, v);
    } else {
      m_bytes.push_back(static_cast<std::uint8_t>(v));
      m_bytes.push_back(static_cast<std::uint8_t>(v >> 8));
    }
  }
  void put32(std::uint32_t v) {
    if (m_bigEndian) {
      putBe32(m_bytes, v);
    } else {
      put16(v & 0xffff);
      put16(v >> 16);
    }
  }
  bool m_bigEndian;
  Bytes m_bytes;
};

struct TcpSegment {
  TcpSegment(std::uint16_t sourcePort, std::uint16_t destinationPort, std::uint8_t tcpFlags,
             std::uint32_t sequence, std::uint32_t acknowledgment, std::uint16_t windowSize = 65535,
             std::string data = {})
      : sport(sourcePort),
        dport(destinationPort),
        flags(tcpFlags),
        seq(sequence),
        ack(acknowledgment),
        window(windowSize),
        payload(std::move(data)) {}
  std::uint16_t sport, dport;
  std::uint8_t flags;
  std::uint32_t seq, ack;
  std::uint16_t window;
  std::string payload;
};

inline Bytes tcpHeaderAndPayload(const TcpSegment& s) {
  Bytes out;
  putBe16(out, s.sport);
  putBe16(out, s.dport);
  putBe32(out, s.seq);
  putBe32(out, s.ack);
  out.push_back(0x50);
  out.push_back(s.flags);
  putBe16(out, s.window);
  putBe32(out, 0);  // checksum, urgent pointer
  out.insert(out.end(), s.payload.begin(), s.payload.end());
  return out;
}

inline Bytes udpHeaderAndPayload(std::uint16_t sport, std::uint16_t dport, const std::string& payload) {
  Bytes out;
  putBe16(out, sport);
  putBe16(out, dport);
  putBe16(out, static_cast<std::uint32_t>(8 + payload.size()));
  putBe16(out, 0);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

// IPv4 header (addresses as 0xAABBCCDD) + transport bytes.
inline Bytes ipv4(std::uint32_t src, std::uint32_t dst, std::uint8_t protocol, const Bytes& transport) {
  Bytes out;
  out.push_back(0x45);
  out.push_back(0);
  putBe16(out, static_cast<std::uint32_t>(20 + transport.size()));
  putBe32(out, 0);
  out.push_back(64);
  out.push_back(protocol);
  putBe16(out, 0);
  putBe32(out, src);
  putBe32(out, dst);
  out.insert(out.end(), transport.begin(), transport.end());
  return out;
}

// IPv6 header from ::last-byte addresses, with a hop-by-hop and a destination-options header when asked.
inline Bytes ipv6(std::uint8_t srcLast, std::uint8_t dstLast, std::uint8_t protocol, const Bytes& transport,
                  bool extensionHeaders) {
  Bytes ext;
  std::uint8_t first = protocol;
  if (extensionHeaders) {
    first = 0;  // hop-by-hop, 8 bytes: next = 60 (destination options), len 0, PadN
    ext.insert(ext.end(), {60, 0, 1, 4, 0, 0, 0, 0});
    // destination options, 16 bytes: next = protocol, len 1, PadN of 12
    ext.insert(ext.end(), {protocol, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  }
  Bytes out;
  putBe32(out, 0x60000000u);
  putBe16(out, static_cast<std::uint32_t>(ext.size() + transport.size()));
  out.push_back(first);
  out.push_back(64);
  for (std::uint8_t last : {srcLast, dstLast}) {
    for (int i = 0; i < 15; ++i) out.push_back(0);
    out.push_back(last);
  }
  out.insert(out.end(), ext.begin(), ext.end());
  out.insert(out.end(), transport.begin(), transport.end());
  return out;
}

inline Bytes ethernet(const Bytes& ip, bool v6, int vlanTags = 0) {
  Bytes out(12, 0x02);
  for (int i = 0; i < vlanTags; ++i) {
    putBe16(out, i == 0 && vlanTags > 1 ? 0x88a8 : 0x8100);
    putBe16(out, 100);
  }
  putBe16(out, v6 ? 0x86dd : 0x0800);
  out.insert(out.end(), ip.begin(), ip.end());
  return out;
}

inline Bytes linuxSll(const Bytes& ip, bool v6) {
  Bytes out(14, 0);
  putBe16(out, v6 ? 0x86dd : 0x0800);
  out.insert(out.end(), ip.begin(), ip.end());
  return out;
}

inline Bytes linuxSll2(const Bytes& ip, bool v6) {
  Bytes out;
  putBe16(out, v6 ? 0x86dd : 0x0800);
  out.resize(20, 0);
  out.insert(out.end(), ip.begin(), ip.end());
  return out;
}

inline Bytes bsdNull(const Bytes& ip) {
  Bytes out{2, 0, 0, 0};  // AF_INET, little-endian host
  out.insert(out.end(), ip.begin(), ip.end());
  return out;
}

// The capture tests' conversation: a client at 127.0.0.1:40000 and a server at 127.0.0.2:7, one TCP segment
// in an Ethernet frame.
inline constexpr std::uint32_t kTestClientAddress = 0x7f000001;  // 127.0.0.1
inline constexpr std::uint32_t kTestServerAddress = 0x7f000002;  // 127.0.0.2

inline Bytes clientServerTcpFrame(bool fromClient, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack,
                                  std::string payload = {}) {
  TcpSegment segment = fromClient ? TcpSegment(40000, 7, flags, seq, ack, 65535, std::move(payload))
                                  : TcpSegment(7, 40000, flags, seq, ack, 65535, std::move(payload));
  std::uint32_t client = kTestClientAddress;
  std::uint32_t server = kTestServerAddress;
  return ethernet(ipv4(fromClient ? client : server, fromClient ? server : client, 6, tcpHeaderAndPayload(segment)),
                  false);
}

}  // namespace sockspec::testing
