#include "capture/pcap_file_reader.h"

#include <fmt/format.h>

#include <cstdio>

namespace sockspec::capture {

namespace {

constexpr std::int64_t kRecordHeaderBytes = 16;  // classic pcap: ts_sec, ts_frac, caplen, len

// Classic pcap's magic numbers in either byte order, usec and nsec; anything else libpcap opens is pcapng.
bool startsAsClassicPcap(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return false;
  unsigned char magic[4] = {};
  std::size_t got = std::fread(magic, 1, sizeof magic, file);
  std::fclose(file);
  if (got != sizeof magic) return false;
  std::uint32_t be = (std::uint32_t{magic[0]} << 24) | (std::uint32_t{magic[1]} << 16) |
                     (std::uint32_t{magic[2]} << 8) | std::uint32_t{magic[3]};
  std::uint32_t le = (std::uint32_t{magic[3]} << 24) | (std::uint32_t{magic[2]} << 16) |
                     (std::uint32_t{magic[1]} << 8) | std::uint32_t{magic[0]};
  for (std::uint32_t value : {be, le}) {
    if (value == 0xa1b2c3d4u || value == 0xa1b23c4du) return true;
  }
  return false;
}

}  // namespace

LinkType linkTypeFromDlt(int dlt) {
  switch (dlt) {
    case DLT_EN10MB:
      return LinkType::Ethernet;
    case DLT_LINUX_SLL:
      return LinkType::LinuxSll;
#ifdef DLT_LINUX_SLL2
    case DLT_LINUX_SLL2:
      return LinkType::LinuxSll2;
#endif
    case DLT_NULL:
      return LinkType::BsdNull;
    case DLT_LOOP:
      return LinkType::BsdLoop;
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
      return LinkType::RawIp;
    default:
      return LinkType::Unsupported;
  }
}

Expected<PcapFileReader, std::string> PcapFileReader::open(const std::string& path) {
  char errorBuffer[PCAP_ERRBUF_SIZE] = {};
  PcapHandle handle(
      ::pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errorBuffer));
  if (!handle) return Unexpected{fmt::format("{}: record at offset 0: {}", path, errorBuffer)};
  bool classic = startsAsClassicPcap(path);
  // glibc's ftell() asks the kernel (lseek) unless the stream knows its offset, which only a seek teaches it
  // (libio do_ftell(): fp->_offset is _IO_pos_BAD after fopen); reads then keep it up to date. One seek to
  // where the stream already is turns two lseek calls per record, most of inspect's time, into none.
  if (std::FILE* file = ::pcap_file(handle.get()); file != nullptr) {
    long position = std::ftell(file);
    if (position >= 0) static_cast<void>(std::fseek(file, position, SEEK_SET));  // failing costs only speed
  }
  return PcapFileReader(path, std::move(handle), !classic);
}

int PcapFileReader::dlt() const {
  return ::pcap_datalink(m_handle.get());
}

ReadStatus PcapFileReader::fail(std::int64_t offset, const std::string& what) {
  m_done = true;
  m_error = fmt::format("{}: record at offset {}: {}", m_path, offset, what);
  return ReadStatus::Error;
}

ReadStatus PcapFileReader::next(CaptureRecord& record) {
  if (m_done) return m_error.empty() ? ReadStatus::End : ReadStatus::Error;
  std::FILE* file = ::pcap_file(m_handle.get());
  std::int64_t offset = file != nullptr ? ::ftell(file) : -1;
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int result = ::pcap_next_ex(m_handle.get(), &header, &data);
  if (result == PCAP_ERROR_BREAK) {
    m_done = true;
    return ReadStatus::End;
  }
  if (result != 1) return fail(offset, ::pcap_geterr(m_handle.get()));
  if (!m_pcapng && file != nullptr) {
    std::int64_t consumed = ::ftell(file) - offset;
    if (consumed != kRecordHeaderBytes + std::int64_t{header->caplen}) {
      return fail(offset, fmt::format("captured length {} is more than the file's snaplen {}",
                                      consumed - kRecordHeaderBytes, ::pcap_snapshot(m_handle.get())));
    }
  }
  if (header->caplen > header->len) {
    return fail(offset, fmt::format("captured length {} is more than the length on the wire {}",
                                    header->caplen, header->len));
  }
  // With PCAP_TSTAMP_PRECISION_NANO, tv_usec holds nanoseconds. Classic pcap's fields are 32-bit, but a
  // pcapng timestamp is 64-bit (in units its interface chooses), so the seconds can be beyond what int64
  // nanoseconds hold (the year 2262): refused, not wrapped (found by the pcap_reader fuzz target).
  std::int64_t nanoseconds = 0;
  if (__builtin_mul_overflow(std::int64_t{header->ts.tv_sec}, std::int64_t{1'000'000'000}, &nanoseconds) ||
      __builtin_add_overflow(nanoseconds, std::int64_t{header->ts.tv_usec}, &nanoseconds)) {
    return fail(offset, fmt::format("timestamp {} s is out of range (past the year 2262)",
                                    static_cast<long long>(header->ts.tv_sec)));
  }
  record.offset = offset;
  record.timestampNs = nanoseconds;
  record.wireLength = header->len;
  record.frame = std::span<const std::uint8_t>(data, header->caplen);
  return ReadStatus::Record;
}

}  // namespace sockspec::capture
