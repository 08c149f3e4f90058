// LiveCapture: records traffic with libpcap into a pcap file while a check runs. A scenario's is opened on
// `lo` inside the scenario's own network namespace, where every packet on the interface is the scenario's,
// so no filter is needed; a service check's on the host's `lo`, filtered to the target's port and protocol.
// Non-blocking: the caller drains it as the check goes, and at the end waits briefly for the packets the
// last close provokes (FIN, ACK, RST).
#pragma once

#include <chrono>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <span>
#include <string>
#include <vector>

#include "base/expected.h"
#include "base/sys_error.h"
#include "capture/packet_dissector.h"
#include "capture/pcap_handle.h"

namespace sockspec::capture {

struct CaptureStats {
  std::uint64_t written = 0;   // packets written to the file
  std::uint64_t received = 0;  // pcap_stats ps_recv
  std::uint64_t dropped = 0;   // pcap_stats ps_drop + ps_ifdrop: the file is incomplete when not 0
  // What is on disk: the pcap under its name and its size; or none, and why ("PATH: write: ENOSPC (...)").
  std::string file;
  std::uint64_t bytes = 0;
  std::string error;
};

// A TCP packet of the capture, with its frame number in the pcap file: 1-based, counting every frame
// written, so it is the number Wireshark and tshark show for that file.
struct NumberedPacket {
  std::uint64_t number = 0;
  DissectedPacket packet;
};

struct CaptureSettings {
  std::string filter;  // pcap-filter(7) expression; "" keeps every packet
  // Bytes kept of each frame. A scenario keeps whole frames; a service check, which may push tens of MiB,
  // its headers and the start of the payload (lengths come from the IP header, so byte counts stay right).
  int snapLength = 262144;
  // The kernel's ring (pcap_set_buffer_size): it must hold what comes between two drains.
  int bufferBytes = 32 * 1024 * 1024;
  bool keepTcpPackets = true;  // tcpPackets(); off, memory does not grow with the packets
  // The file's owner, when not this process's user: the --user a job switches to before finish() names
  // the file, which fs.protected_hardlinks allows only to the owner (or one who may read and write it).
  std::optional<std::pair<uid_t, gid_t>> owner;
};

class LiveCapture {
 public:
  // Needs CAP_NET_RAW. The file is written with no name (base/unnamed_file.h) and named `path` by finish()
  // only when whole, so `path` is at every moment absent, an earlier file, or this complete capture; a
  // kill leaves nothing. An earlier file is replaced only when it is a regular file holding a capture (a
  // pcap or pcapng from an earlier run), never a link, FIFO, device or folder. Fails with "lo: <libpcap's
  // message>", "lo: filter 'F': <message>" or "PATH: <why>".
  static Expected<LiveCapture, std::string> open(const std::string& device, const std::string& path,
                                                 const CaptureSettings& settings = {});

  LiveCapture(LiveCapture&&) noexcept;
  LiveCapture& operator=(LiveCapture&&) noexcept;
  ~LiveCapture();

  // Writes every packet captured so far; never blocks.
  void drain();
  // Drains until no packet has come for `quiet`, or `limit` passes, and flushes the file.
  void settle(std::chrono::milliseconds quiet, std::chrono::milliseconds limit);
  // settle(), then the file given its name (flushed and fsync'd first), then the counts. A write that failed
  // on the way (a full disk) or at the end leaves no file, and `error` says which call and why.
  CaptureStats finish(std::chrono::milliseconds quiet, std::chrono::milliseconds limit);

  // Packets the kernel dropped so far (pcap_stats ps_drop + ps_ifdrop): when not 0, tcpPackets() is incomplete.
  std::uint64_t droppedSoFar() const;

  // For poll(2): readable when packets wait to be drained.
  int selectableFd() const;

  // The TCP packets written so far, dissected as they were drained (the wire assertions read these).
  std::span<const NumberedPacket> tcpPackets() const { return m_tcpPackets; }

 private:
  LiveCapture() = default;
  static void onPacket(unsigned char* self, const pcap_pkthdr* header, const unsigned char* bytes);
  struct Dumper;
  void noteWriteError(int error);
  std::string commitFile();
  PcapHandle m_handle;
  std::unique_ptr<Dumper> m_dumper;
  std::uint64_t m_written = 0;
  std::optional<SysError> m_writeError;  // the first failed write; nothing more is written after it
  LinkType m_link = LinkType::Unsupported;
  bool m_keepTcpPackets = true;
  std::vector<NumberedPacket> m_tcpPackets;
};

}  // namespace sockspec::capture
