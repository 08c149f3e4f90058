// LiveCapture: records one scenario's traffic with libpcap into a pcap file while the scenario runs. Opened
// on `lo` inside the scenario's own network namespace, where every packet on the interface is the
// scenario's, so no filter is needed. Non-blocking: the runner drains it after each step, and at the end
// waits briefly for the packets the last close provokes (FIN, ACK, RST).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/expected.h"
#include "capture/packet_dissector.h"
#include "capture/pcap_handle.h"

namespace sockspec::capture {

struct CaptureStats {
  std::uint64_t written = 0;   // packets written to the file
  std::uint64_t received = 0;  // pcap_stats ps_recv
  std::uint64_t dropped = 0;   // pcap_stats ps_drop + ps_ifdrop: the file is incomplete when not 0
};

// A TCP packet of the capture, with its frame number in the pcap file: 1-based, counting every frame
// written, so it is the number Wireshark and tshark show for that file.
struct NumberedPacket {
  std::uint64_t number = 0;
  DissectedPacket packet;
};

class LiveCapture {
 public:
  // Needs CAP_NET_RAW. Fails with "lo: <libpcap's message>" or "PATH: <message>".
  static Expected<LiveCapture, std::string> open(const std::string& device, const std::string& path);

  LiveCapture(LiveCapture&&) noexcept;
  LiveCapture& operator=(LiveCapture&&) noexcept;
  ~LiveCapture();

  // Writes every packet captured so far; never blocks.
  void drain();
  // Drains until no packet has come for `quiet`, or `limit` passes, and flushes the file.
  void settle(std::chrono::milliseconds quiet, std::chrono::milliseconds limit);
  // settle(), then the counts.
  CaptureStats finish(std::chrono::milliseconds quiet, std::chrono::milliseconds limit);

  // Packets the kernel dropped so far (pcap_stats ps_drop + ps_ifdrop): when not 0, tcpPackets() is incomplete.
  std::uint64_t droppedSoFar() const;

  // The TCP packets written so far, dissected as they were drained (the wire assertions read these).
  std::span<const NumberedPacket> tcpPackets() const { return m_tcpPackets; }

 private:
  LiveCapture() = default;
  static void onPacket(unsigned char* self, const pcap_pkthdr* header, const unsigned char* bytes);
  struct Dumper;
  PcapHandle m_handle;
  std::unique_ptr<Dumper> m_dumper;
  std::uint64_t m_written = 0;
  LinkType m_link = LinkType::Unsupported;
  std::vector<NumberedPacket> m_tcpPackets;
};

}  // namespace sockspec::capture
