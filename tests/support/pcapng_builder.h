// Builds pcapng files block by block for the capture tests
// (https://www.ietf.org/archive/id/draft-ietf-opsawg- pcapng-02.html): section headers, interface
// descriptions with if_tsresol, enhanced and simple packet blocks, unknown blocks, in either byte order; and
// blocks that lie about their lengths, so a test can aim at one field of one block. Frames come from
// pcap_builder.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "support/pcap_builder.h"

namespace sockspec::testing {

class PcapngBuilder {
 public:
  static constexpr std::uint32_t kSectionHeader = 0x0A0D0D0A;
  static constexpr std::uint32_t kInterfaceDescription = 1;
  static constexpr std::uint32_t kSimplePacket = 3;
  static constexpr std::uint32_t kEnhancedPacket = 6;

  explicit PcapngBuilder(bool bigEndian = false) : m_bigEndian(bigEndian) {}

  // Section Header Block: byte-order magic, version 1.0, section length unknown (-1).
  PcapngBuilder& sectionHeader() {
    Bytes body;
    put32(body, 0x1A2B3C4D);
    put16(body, 1);
    put16(body, 0);
    put32(body, 0xffffffff);
    put32(body, 0xffffffff);
    return block(kSectionHeader, body);
  }

  // Interface Description Block; `tsresol` is the if_tsresol option byte (6: microseconds, the default).
  PcapngBuilder& interface(std::uint32_t linkType, std::optional<std::uint8_t> tsresol = std::nullopt,
                           std::uint32_t snaplen = 0) {
    Bytes body = interfaceBody(linkType, snaplen);
    if (tsresol) {
      option(body, 9, Bytes{*tsresol});
      option(body, 0, Bytes{});  // opt_endofopt
    }
    return block(kInterfaceDescription, body);
  }
  // Its fixed part (link type, reserved, snaplen), for a test that appends options of its own.
  Bytes interfaceBody(std::uint32_t linkType, std::uint32_t snaplen = 0) const {
    Bytes body;
    put16(body, linkType);
    put16(body, 0);
    put32(body, snaplen);
    return body;
  }

  // Enhanced Packet Block: `timestamp` in the interface's if_tsresol units; caplen and original length
  // default to the frame's size.
  PcapngBuilder& enhancedPacket(std::uint32_t interfaceId, std::uint64_t timestamp, const Bytes& frame,
                                std::int64_t caplen = -1, std::int64_t originalLength = -1) {
    return block(kEnhancedPacket, enhancedPacketBody(interfaceId, timestamp, frame, caplen, originalLength));
  }
  Bytes enhancedPacketBody(std::uint32_t interfaceId, std::uint64_t timestamp, const Bytes& frame,
                           std::int64_t caplen = -1, std::int64_t originalLength = -1) const {
    Bytes body;
    put32(body, interfaceId);
    put32(body, static_cast<std::uint32_t>(timestamp >> 32));
    put32(body, static_cast<std::uint32_t>(timestamp));
    put32(body, static_cast<std::uint32_t>(caplen < 0 ? static_cast<std::int64_t>(frame.size()) : caplen));
    put32(body, static_cast<std::uint32_t>(originalLength < 0 ? static_cast<std::int64_t>(frame.size())
                                                              : originalLength));
    padded(body, frame);
    return body;
  }

  // Simple Packet Block: no interface id (always interface 0), no timestamp.
  PcapngBuilder& simplePacket(const Bytes& frame) {
    Bytes body;
    put32(body, static_cast<std::uint32_t>(frame.size()));
    padded(body, frame);
    return block(kSimplePacket, body);
  }

  // Any block, e.g. a type no reader knows (readers skip those by their length).
  PcapngBuilder& block(std::uint32_t type, const Bytes& body) {
    auto total = static_cast<std::uint32_t>(12 + body.size());
    return rawBlock(type, body, total, total);
  }

  // A block with its two length fields written as given, true or not.
  PcapngBuilder& rawBlock(std::uint32_t type, const Bytes& body, std::uint32_t leadingLength,
                          std::uint32_t trailingLength) {
    put32(m_bytes, type);
    put32(m_bytes, leadingLength);
    m_bytes.insert(m_bytes.end(), body.begin(), body.end());
    put32(m_bytes, trailingLength);
    return *this;
  }

  // An option (code, length, value padded to 4 bytes) appended to a block body being built.
  void option(Bytes& body, std::uint16_t code, const Bytes& value, std::int64_t claimedLength = -1) const {
    put16(body, code);
    put16(body, static_cast<std::uint32_t>(claimedLength < 0 ? static_cast<std::int64_t>(value.size())
                                                             : claimedLength));
    padded(body, value);
  }

  std::size_t size() const { return m_bytes.size(); }
  std::string str() const { return std::string(m_bytes.begin(), m_bytes.end()); }

 private:
  void put16(Bytes& out, std::uint32_t v) const {
    if (m_bigEndian) {
      putBe16(out, v);
    } else {
      out.push_back(static_cast<std::uint8_t>(v));
      out.push_back(static_cast<std::uint8_t>(v >> 8));
    }
  }
  void put32(Bytes& out, std::uint32_t v) const {
    if (m_bigEndian) {
      putBe32(out, v);
    } else {
      put16(out, v & 0xffff);
      put16(out, v >> 16);
    }
  }
  static void padded(Bytes& out, const Bytes& data) {
    out.insert(out.end(), data.begin(), data.end());
    out.resize(out.size() + (4 - data.size() % 4) % 4, 0);
  }

  bool m_bigEndian;
  Bytes m_bytes;
};

}  // namespace sockspec::testing
