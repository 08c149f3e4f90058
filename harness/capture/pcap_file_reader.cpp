#include "capture/pcap_file_reader.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>

#include "base/sys_error.h"

namespace sockspec::capture {

namespace {

constexpr std::int64_t kRecordHeaderBytes = 16;  // classic pcap: ts_sec, ts_frac, caplen, len

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
  // Opened once, and read from where it starts: a FIFO or a pipe (`inspect <(cat f.pcap)`) cannot be opened
  // a second time to look at its first bytes.
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return Unexpected{fmt::format("{}: record at offset 0: {}", path, SysError{errno, "open"}.describe())};
  char errorBuffer[PCAP_ERRBUF_SIZE] = {};
  PcapHandle handle(::pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errorBuffer));
  if (!handle) {
    std::fclose(file);  // pcap_fopen_offline() leaves it open when it fails
    return Unexpected{fmt::format("{}: record at offset 0: {}", path, errorBuffer)};
  }
  // libpcap reports the file's own version: 2.4 for classic pcap, the section header's 1.0 for pcapng
  // (sf-pcapng.c), which is the format whose records the offsets below cannot check.
  bool classic = ::pcap_major_version(handle.get()) == 2;
  // glibc's ftell() asks the kernel (lseek) unless the stream knows its offset, which only a seek teaches it
  // (libio do_ftell(): fp->_offset is _IO_pos_BAD after fopen); reads then keep it up to date. One seek to
  // where the stream already is turns two lseek calls per record, most of inspect's time, into none. On a
  // pipe the seek fails, and ftell() with it: offsets are then unknown (-1), which costs only the check
  // that a classic record's length matches what was consumed.
  long position = std::ftell(file);
  if (position >= 0) static_cast<void>(std::fseek(file, position, SEEK_SET));  // failing costs only speed
  return PcapFileReader(path, std::move(handle), !classic);
}

int PcapFileReader::dlt() const {
  return ::pcap_datalink(m_handle.get());
}

ReadStatus PcapFileReader::fail(std::int64_t offset, const std::string& what) {
  m_done = true;
  m_error = offset >= 0 ? fmt::format("{}: record at offset {}: {}", m_path, offset, what)
                        : fmt::format("{}: a record at an unknown offset (a pcapng read from a pipe): {}", m_path, what);
  return ReadStatus::Error;
}

ReadStatus PcapFileReader::next(CaptureRecord& record) {
  if (m_done) return m_error.empty() ? ReadStatus::End : ReadStatus::Error;
  std::FILE* file = ::pcap_file(m_handle.get());
  std::int64_t told = file != nullptr ? ::ftell(file) : -1;
  // On a pipe only a classic file's offsets can be counted; a pcapng one's are unknown (-1).
  std::int64_t offset = told >= 0 ? told : (m_pcapng ? -1 : m_streamOffset);
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  int result = ::pcap_next_ex(m_handle.get(), &header, &data);
  if (result == PCAP_ERROR_BREAK) {
    m_done = true;
    return ReadStatus::End;
  }
  if (result != 1) return fail(offset, ::pcap_geterr(m_handle.get()));
  if (!m_pcapng && told < 0) m_streamOffset = offset + kRecordHeaderBytes + std::int64_t{header->caplen};
  if (!m_pcapng && told >= 0) {
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
