#include "capture/live_capture.h"

#include <poll.h>

#include <fmt/format.h>

#include "base/deadline.h"
#include "capture/pcap_file_reader.h"

namespace sockspec::capture {

// The pcap_dumper_t owner: pcap_dump_close flushes and closes the file.
struct LiveCapture::Dumper {
  pcap_dumper_t* dumper = nullptr;
  ~Dumper() {
    if (dumper != nullptr) pcap_dump_close(dumper);
  }
};

LiveCapture::LiveCapture(LiveCapture&&) noexcept = default;
LiveCapture& LiveCapture::operator=(LiveCapture&&) noexcept = default;
LiveCapture::~LiveCapture() {
  m_dumper.reset();  // the file is closed before the handle
}

Expected<LiveCapture, std::string> LiveCapture::open(const std::string& device, const std::string& path) {
  char error[PCAP_ERRBUF_SIZE] = {};
  LiveCapture capture;
  capture.m_handle.reset(pcap_create(device.c_str(), error));
  if (!capture.m_handle) return Unexpected{fmt::format("{}: {}", device, error)};
  pcap_t* handle = capture.m_handle.get();
  // Immediate mode: packets are delivered as they come, not when a TPACKET_V3 block fills or times out.
  (void)pcap_set_snaplen(handle, 262144);
  (void)pcap_set_immediate_mode(handle, 1);
  // Bulk steps (fill) queue megabytes in one step, between two drains: the buffer must hold them.
  (void)pcap_set_buffer_size(handle, 32 * 1024 * 1024);
  int status = pcap_activate(handle);
  if (status < 0) return Unexpected{fmt::format("{}: {}", device, pcap_geterr(handle))};
  if (pcap_setnonblock(handle, 1, error) < 0) return Unexpected{fmt::format("{}: {}", device, error)};
  capture.m_link = linkTypeFromDlt(pcap_datalink(handle));
  capture.m_dumper = std::make_unique<Dumper>();
  capture.m_dumper->dumper = pcap_dump_open(handle, path.c_str());
  if (capture.m_dumper->dumper == nullptr) return Unexpected{fmt::format("{}: {}", path, pcap_geterr(handle))};
  return capture;
}

void LiveCapture::onPacket(unsigned char* self, const pcap_pkthdr* header, const unsigned char* bytes) {
  auto& capture = *reinterpret_cast<LiveCapture*>(self);
  pcap_dump(reinterpret_cast<unsigned char*>(capture.m_dumper->dumper), header, bytes);
  ++capture.m_written;
  DissectedPacket packet;
  if (dissectPacket(capture.m_link, std::span<const std::uint8_t>(bytes, header->caplen), packet) ==
          DissectStatus::Ok &&
      packet.transport == IpProtocol::Tcp) {
    capture.m_tcpPackets.push_back(NumberedPacket{capture.m_written, packet});
  }
}

void LiveCapture::drain() {
  if (!m_handle || !m_dumper) return;
  // Bounded: each pass takes what is queued now (non-blocking), at most 64 rounds.
  for (int round = 0; round < 64; ++round) {
    int got = pcap_dispatch(m_handle.get(), -1, &LiveCapture::onPacket, reinterpret_cast<unsigned char*>(this));
    if (got <= 0) return;
  }
}

void LiveCapture::settle(std::chrono::milliseconds quiet, std::chrono::milliseconds limit) {
  if (!m_handle || !m_dumper) return;
  Deadline end = Deadline::after(limit);
  // Bounded by `limit`: wait for packets until none came for `quiet`.
  while (!end.expired()) {
    pollfd entry{pcap_get_selectable_fd(m_handle.get()), POLLIN, 0};
    int ready = ::poll(&entry, 1, Deadline::after(quiet).orEarlier(end).pollTimeoutMs());
    std::uint64_t before = m_written;
    drain();
    if (ready <= 0 && m_written == before) break;
  }
  pcap_dump_flush(m_dumper->dumper);
}

std::uint64_t LiveCapture::droppedSoFar() const {
  pcap_stat counters{};
  if (!m_handle || pcap_stats(m_handle.get(), &counters) != 0) return 0;
  return std::uint64_t{counters.ps_drop} + counters.ps_ifdrop;
}

CaptureStats LiveCapture::finish(std::chrono::milliseconds quiet, std::chrono::milliseconds limit) {
  CaptureStats stats;
  if (!m_handle || !m_dumper) return stats;
  settle(quiet, limit);
  pcap_stat counters{};
  if (pcap_stats(m_handle.get(), &counters) == 0) {
    stats.received = counters.ps_recv;
    stats.dropped = std::uint64_t{counters.ps_drop} + counters.ps_ifdrop;
  }
  stats.written = m_written;
  return stats;
}

}  // namespace sockspec::capture
