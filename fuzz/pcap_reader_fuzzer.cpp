// Fuzz target `pcap_reader`: what `sockspec inspect` does with a capture file (harness/capture). Two modes,
// picked by the first byte:
//   - 0x00: the rest is one frame, dissected as every link type the dissector knows;
//   - anything else (every pcap and pcapng magic starts with a non-zero byte): the whole input is a capture
//     file, opened with PcapFileReader exactly as inspect opens it (by path: a memfd seen through
//     /proc/self/fd), every record dissected and added to a FlowTable.
// Checked: nothing crashes or reads out of bounds (each frame is copied into a buffer of exactly its size,
// so ASan sees a read past it; libpcap's own buffer is larger), errors name a record offset inside the
// file, captured lengths never exceed wire lengths, and the flow table keeps the bounds flow_table.h
// promises (at most kMaxHoles sequence holes per direction, no more flows than packets).
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "capture/flow_table.h"
#include "capture/packet_dissector.h"
#include "capture/pcap_file_reader.h"
#include "fuzz_check.h"

namespace {

using namespace sockspec::capture;

constexpr LinkType kLinkTypes[] = {LinkType::Ethernet, LinkType::LinuxSll, LinkType::LinuxSll2,
                                   LinkType::BsdNull,  LinkType::BsdLoop,  LinkType::RawIp,
                                   LinkType::Unsupported};

// Dissects `frame` and checks what an Ok result promises.
DissectStatus dissectChecked(LinkType link, std::span<const std::uint8_t> frame, DissectedPacket& packet) {
  const std::vector<std::uint8_t> exact(frame.begin(), frame.end());
  const DissectStatus status = dissectPacket(link, exact, packet);
  if (status == DissectStatus::Ok) {
    SOCKSPEC_FUZZ_CHECK(packet.transport == IpProtocol::Tcp || packet.transport == IpProtocol::Udp,
                        "an Ok packet is TCP or UDP");
    SOCKSPEC_FUZZ_CHECK(!formatEndpoint(packet.source).empty() && !formatEndpoint(packet.destination).empty(),
                        "endpoints format");
  }
  SOCKSPEC_FUZZ_CHECK(!dissectStatusName(status).empty(), "every status has a name");
  return status;
}

void dissectAsEveryLinkType(std::span<const std::uint8_t> frame) {
  for (LinkType link : kLinkTypes) {
    DissectedPacket packet;
    const DissectStatus status = dissectChecked(link, frame, packet);
    if (link == LinkType::Unsupported) SOCKSPEC_FUZZ_CHECK(status == DissectStatus::NotIp, "Unsupported is NotIp");
  }
}

// The capture file lives in one memfd for the whole run, rewritten for each input; inspect's reader opens
// it by path like any file.
class CaptureFile {
 public:
  CaptureFile() : m_fd(::memfd_create("pcap_reader_fuzzer", MFD_CLOEXEC)) {
    if (m_fd < 0) {
      std::perror("pcap_reader_fuzzer: memfd_create");
      std::abort();
    }
    m_path = "/proc/self/fd/" + std::to_string(m_fd);
  }
  CaptureFile(const CaptureFile&) = delete;
  CaptureFile& operator=(const CaptureFile&) = delete;
  ~CaptureFile() { ::close(m_fd); }

  const std::string& write(std::span<const std::uint8_t> bytes) {
    if (::ftruncate(m_fd, 0) != 0 || !writeAll(bytes)) {
      std::perror("pcap_reader_fuzzer: writing the memfd");
      std::abort();
    }
    return m_path;
  }

 private:
  bool writeAll(std::span<const std::uint8_t> bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::pwrite(m_fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }
  int m_fd;
  std::string m_path;
};

void checkFlows(const FlowTable& table, std::uint64_t added) {
  SOCKSPEC_FUZZ_CHECK(table.flows().size() <= added, "no more flows than packets added");
  for (const Flow& flow : table.flows()) {
    SOCKSPEC_FUZZ_CHECK(flow.packets[0] + flow.packets[1] > 0, "every flow has a packet");
    SOCKSPEC_FUZZ_CHECK(flow.firstNs <= flow.lastNs, "a flow ends no earlier than it starts");
    for (const auto& tracker : flow.sequence) {
      SOCKSPEC_FUZZ_CHECK(tracker.holes.size() <= SequenceTracker::kMaxHoles,
                          "sequence holes are bounded by kMaxHoles");
    }
    SOCKSPEC_FUZZ_CHECK(!flow.state().empty(), "every flow has a state");
  }
}

void readCaptureFile(std::span<const std::uint8_t> bytes) {
  static CaptureFile file;
  const std::string& path = file.write(bytes);
  auto reader = PcapFileReader::open(path);
  if (!reader) {
    SOCKSPEC_FUZZ_CHECK(reader.error().find("record at offset 0") != std::string::npos,
                        "an open error names offset 0");
    return;
  }
  const LinkType link = reader->linkType();
  FlowTable table;
  std::uint64_t added = 0;
  CaptureRecord record;
  // Each record takes at least 16 bytes of the file, so this ends; the bound only guards that reasoning.
  for (std::size_t records = 0; records <= bytes.size(); ++records) {
    const ReadStatus status = reader->next(record);
    if (status == ReadStatus::End) return checkFlows(table, added);
    if (status == ReadStatus::Error) {
      SOCKSPEC_FUZZ_CHECK(reader->error().find("record at offset") != std::string::npos,
                          "a read error names the record offset");
      return checkFlows(table, added);
    }
    SOCKSPEC_FUZZ_CHECK(record.offset >= 0 && static_cast<std::uint64_t>(record.offset) < bytes.size(),
                        "a record's offset is inside the file");
    SOCKSPEC_FUZZ_CHECK(record.frame.size() <= record.wireLength, "captured length <= wire length");
    DissectedPacket packet;
    if (dissectChecked(link, record.frame, packet) != DissectStatus::Ok) continue;
    int direction = -1;
    table.add(packet, record.timestampNs, static_cast<std::uint32_t>(record.frame.size()), direction);
    SOCKSPEC_FUZZ_CHECK(direction == 0 || direction == 1, "a direction is 0 or 1");
    ++added;
  }
  SOCKSPEC_FUZZ_CHECK(false, "the reader returned more records than the file has bytes");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  if (data[0] == 0x00) {
    dissectAsEveryLinkType(std::span<const std::uint8_t>(data + 1, size - 1));
  } else {
    readCaptureFile(std::span<const std::uint8_t>(data, size));
  }
  return 0;
}
