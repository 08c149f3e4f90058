#include "capture/live_capture.h"

#include <poll.h>

#include <fmt/format.h>

#include "base/deadline.h"

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
  capture.m_dumper = std::make_unique<Dumper>();
  capture.m_dumper->dumper = pcap_dump_open(handle, path.c_str());
  if (capture.m_dumper->dumper == nullptr) return Unexpected{fmt::format("{}: {}", path, pcap_geterr(handle))};
  return capture;
}

void LiveCapture::drain() {
  if (!m_handle || !m_dumper) return;
  // Bounded: each pass takes what is queued now (non-blocking), at most 64 rounds.
  for (int round = 0; round < 64; ++round) {
    int got = pcap_dispatch(m_handle.get(), -1, pcap_dump, reinterpret_cast<u_char*>(m_dumper->dumper));
    if (got <= 0) return;
    m_written += static_cast<std::uint64_t>(got);
  }
}

CaptureStats LiveCapture::finish(std::chrono::milliseconds quiet, std::chrono::milliseconds limit) {
  CaptureStats stats;
  if (!m_handle || !m_dumper) return stats;
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
  pcap_stat counters{};
  if (pcap_stats(m_handle.get(), &counters) == 0) {
    stats.received = counters.ps_recv;
    stats.dropped = std::uint64_t{counters.ps_drop} + counters.ps_ifdrop;
  }
  stats.written = m_written;
  return stats;
}

}  // namespace sockspec::capture
