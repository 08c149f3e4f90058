#include "suites/check_capture.h"

#include <fmt/format.h>
#include <unistd.h>

#include "capture/live_capture.h"
#include "capture/wire_account.h"
#include "suites/loopback_capture.h"

namespace sockspec::suites {

namespace {

// Headers (Ethernet 14 + IPv6 40 + TCP with options 60) and the start of the payload. A check may push
// ~32 MiB in 1,400-byte segments; libpcap sizes a TPACKET_V2 frame from the snap length when it is below the
// MTU (pcap-linux.c, create_ring()), so each takes a few hundred bytes and the 32 MiB ring holds tens of
// thousands of packets between two drains (every 50 ms at most).
constexpr int kSnapLength = 256;

// How many connections (or UDP clients) a failed check's account describes; the rest are counted.
constexpr std::size_t kConnectionsDescribed = 3;

}  // namespace

CheckCapture::CheckCapture(const std::string& directory, bool keep, const std::string& stem,
                           const net::Endpoint& target)
    : m_target(target), m_keep(keep) {
  if (directory.empty()) return;
  m_path = fmt::format("{}/{}.pcap", directory, stem);
  capture::CaptureSettings settings;
  settings.filter = captureFilterFor(target);
  settings.snapLength = kSnapLength;
  settings.keepTcpPackets =
      false;  // the account reads the file back: memory stays flat however long the check
  auto opened = capture::LiveCapture::open("lo", m_path, settings);
  if (!opened) {
    m_failure = opened.error();
    m_path.clear();
    return;
  }
  m_capture = std::make_unique<capture::LiveCapture>(std::move(*opened));
}

CheckCapture::~CheckCapture() {
  m_capture.reset();
  if (!m_keep && !m_path.empty()) (void)::unlink(m_path.c_str());
}

WhileRunning CheckCapture::whileRunning() {
  if (!m_capture) return {};
  capture::LiveCapture* live = m_capture.get();
  return WhileRunning{live->selectableFd(), [live] { live->drain(); }};
}

void CheckCapture::stop(report::Status status) {
  if (!m_capture) return;
  bool settle = m_keep || status == report::Status::Failed;
  capture::CaptureStats stats = m_capture->finish(std::chrono::milliseconds(settle ? 20 : 0),
                                                  std::chrono::milliseconds(settle ? 300 : 0));
  m_received = stats.received;
  m_dropped = stats.dropped;
  m_bytes = stats.bytes;
  m_writeFailure = stats.error;
  if (!stats.error.empty()) m_path.clear();  // nothing is on disk
  m_capture.reset();
}

void CheckCapture::record(report::CheckResult& result) {
  auto append = [&](const std::string& text) {
    result.message += (result.message.empty() ? "" : "; ") + text;
  };
  // With --capture DIR a pcap that could not be opened or written is lost (the run exits 3 for it); a
  // scratch one only served a failed check's account, which then says why it is missing.
  std::string lost = m_failure.empty() ? m_writeFailure : m_failure;
  if (m_keep && (!m_path.empty() || !lost.empty())) {
    result.captureFile = m_path;
    result.captureBytes = m_bytes;
    result.captureError = lost;
    result.captureReceived = m_received;
    result.captureDropped = m_dropped;
  }
  if (!lost.empty()) {
    if (!m_keep) append("capture: " + lost);
    return;
  }
  if (m_path.empty()) return;
  std::string where = m_keep ? m_path : "not kept: --capture DIR keeps it";
  if (m_dropped > 0) {
    where += fmt::format("; incomplete: the capture dropped {} of {} packets", m_dropped, m_received);
  }
  if (result.status == report::Status::Failed) {
    capture::PacketEndpoint server;
    server.port = m_target.port;
    std::string account;
    if (!capture::parseAddress(m_target.host, server.address)) {
      account = fmt::format("{} is not an IP address", m_target.host);
    } else if (auto described = capture::describeCaptureFile(m_path, server, kConnectionsDescribed)) {
      account = *described;
    } else {
      account = "the pcap could not be read back: " + described.error();
    }
    append(fmt::format("on the wire ({}): {}", where, account));
  } else if (m_dropped > 0 && m_keep) {
    append(fmt::format("capture dropped {} of {} packets: the wire record in {} is incomplete", m_dropped,
                       m_received, m_path));
  }
}

}  // namespace sockspec::suites
