#include "capture/live_capture.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>

#include <fmt/format.h>

#include "base/deadline.h"
#include "base/sys_error.h"
#include "base/unnamed_file.h"
#include "capture/pcap_file_reader.h"

namespace sockspec::capture {

namespace {

// A capture file's first four bytes: classic pcap (usec, nsec) in either byte order, or a pcapng section
// header block (pcap-savefile(5); the pcapng draft, section 4.1).
bool startsLikeACapture(const std::array<unsigned char, 4>& magic) {
  std::uint32_t big = (std::uint32_t{magic[0]} << 24) | (std::uint32_t{magic[1]} << 16) |
                      (std::uint32_t{magic[2]} << 8) | std::uint32_t{magic[3]};
  for (std::uint32_t known : {0xa1b2c3d4u, 0xd4c3b2a1u, 0xa1b23c4du, 0x4d3cb2a1u, 0x0a0d0d0au}) {
    if (big == known) return true;
  }
  return false;
}

// An earlier file at `path` may be replaced only when it holds a capture: a user's file that happens to
// have the name is left alone. What is not a regular file is refused by UnnamedFile itself, and never
// opened here (opening a device can act on it).
Expected<void, std::string> refuseNonCapture(const std::string& path) {
  struct stat status {};
  if (::lstat(path.c_str(), &status) != 0 || !S_ISREG(status.st_mode) || status.st_size == 0) return {};
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return {};  // gone meanwhile, or unreadable: UnnamedFile::create() says what it finds
  std::array<unsigned char, 4> magic{};
  bool capture = ::pread(fd, magic.data(), magic.size(), 0) == 4 && startsLikeACapture(magic);
  ::close(fd);
  if (!capture) return Unexpected{fmt::format("{}: exists and is not a capture file; not replaced", path)};
  return {};
}

}  // namespace

// The pcap_dumper_t owner and the unnamed file it writes through a FILE of its own (a dup of the file's
// descriptor): pcap_dump_close closes that one; the file itself goes, unless published, with `file`.
struct LiveCapture::Dumper {
  UnnamedFile file;
  pcap_dumper_t* dumper = nullptr;
  explicit Dumper(UnnamedFile unnamed) : file(std::move(unnamed)) {}
  ~Dumper() {
    if (dumper != nullptr) pcap_dump_close(dumper);
  }
  Dumper(const Dumper&) = delete;
  Dumper& operator=(const Dumper&) = delete;
};

LiveCapture::LiveCapture(LiveCapture&&) noexcept = default;
LiveCapture& LiveCapture::operator=(LiveCapture&&) noexcept = default;
LiveCapture::~LiveCapture() {
  m_dumper.reset();  // the file is closed before the handle
}

Expected<LiveCapture, std::string> LiveCapture::open(const std::string& device, const std::string& path,
                                                     const CaptureSettings& settings) {
  char error[PCAP_ERRBUF_SIZE] = {};
  LiveCapture capture;
  capture.m_keepTcpPackets = settings.keepTcpPackets;
  capture.m_handle.reset(pcap_create(device.c_str(), error));
  if (!capture.m_handle) return Unexpected{fmt::format("{}: {}", device, error)};
  pcap_t* handle = capture.m_handle.get();
  // Immediate mode: packets are delivered as they come, not when a TPACKET_V3 block fills or times out.
  (void)pcap_set_snaplen(handle, settings.snapLength);
  (void)pcap_set_immediate_mode(handle, 1);
  // Bulk steps (fill) queue megabytes in one step, between two drains: the buffer must hold them.
  (void)pcap_set_buffer_size(handle, settings.bufferBytes);
  int status = pcap_activate(handle);
  if (status < 0) return Unexpected{fmt::format("{}: {}", device, pcap_geterr(handle))};
  if (!settings.filter.empty()) {
    // Set before the first packet is read, so no packet outside the filter reaches the file.
    bpf_program program{};
    auto filterError = [&] {
      return Unexpected{fmt::format("{}: filter '{}': {}", device, settings.filter, pcap_geterr(handle))};
    };
    if (pcap_compile(handle, &program, settings.filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      return filterError();
    }
    int set = pcap_setfilter(handle, &program);
    pcap_freecode(&program);
    if (set != 0) return filterError();
  }
  if (pcap_setnonblock(handle, 1, error) < 0) return Unexpected{fmt::format("{}: {}", device, error)};
  capture.m_link = linkTypeFromDlt(pcap_datalink(handle));
  if (auto refused = refuseNonCapture(path); !refused) return Unexpected{refused.error()};
  auto file = UnnamedFile::create(path);
  if (!file) return Unexpected{file.error()};
  if (settings.owner && ::fchown(file->fd(), settings.owner->first, settings.owner->second) != 0) {
    return Unexpected{fmt::format("{}: {}", path, SysError{errno, "fchown"}.describe())};
  }
  capture.m_dumper = std::make_unique<Dumper>(std::move(*file));
  int writer = ::fcntl(capture.m_dumper->file.fd(), F_DUPFD_CLOEXEC, 0);
  if (writer < 0)
    return Unexpected{fmt::format("{}: {}", path, SysError{errno, "fcntl(F_DUPFD_CLOEXEC)"}.describe())};
  std::FILE* stream = ::fdopen(writer, "wb");
  if (stream == nullptr) {
    ::close(writer);
    return Unexpected{fmt::format("{}: {}", path, SysError{errno, "fdopen"}.describe())};
  }
  capture.m_dumper->dumper = pcap_dump_fopen(handle, stream);
  if (capture.m_dumper->dumper == nullptr) {
    std::fclose(stream);
    return Unexpected{fmt::format("{}: {}", path, pcap_geterr(handle))};
  }
  // The file header sits in the stream's buffer: a full disk shows at the first flush.
  return capture;
}

void LiveCapture::onPacket(unsigned char* self, const pcap_pkthdr* header, const unsigned char* bytes) {
  auto& capture = *reinterpret_cast<LiveCapture*>(self);
  if (!capture.m_writeError) {
    pcap_dump(reinterpret_cast<unsigned char*>(capture.m_dumper->dumper), header, bytes);
    // pcap_dump() returns nothing: the stream's error flag says a write failed, and errno is still that
    // write's, read before anything else can change it.
    if (std::ferror(pcap_dump_file(capture.m_dumper->dumper)) != 0) capture.noteWriteError(errno);
  }
  ++capture.m_written;
  if (!capture.m_keepTcpPackets) return;
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
  if (!m_writeError && pcap_dump_flush(m_dumper->dumper) != 0) noteWriteError(errno);
}

void LiveCapture::noteWriteError(int error) {
  if (!m_writeError) m_writeError = SysError{error, "write"};
}

// After the last write: the file named, or why it is not. Returns the error text ("" when it is named).
std::string LiveCapture::commitFile() {
  const std::string& path = m_dumper->file.path();
  if (!m_writeError && pcap_dump_flush(m_dumper->dumper) != 0) noteWriteError(errno);
  if (m_writeError) return fmt::format("{}: {}", path, m_writeError->describe());
  auto published = m_dumper->file.publish();
  if (!published) return published.error();
  return {};
}

int LiveCapture::selectableFd() const {
  return m_handle ? pcap_get_selectable_fd(m_handle.get()) : -1;
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
  stats.error = commitFile();
  if (stats.error.empty()) {
    stats.file = m_dumper->file.path();
    struct stat status {};
    if (::fstat(m_dumper->file.fd(), &status) == 0) stats.bytes = static_cast<std::uint64_t>(status.st_size);
  }
  return stats;
}

}  // namespace sockspec::capture
