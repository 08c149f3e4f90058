// Reading a pcap or pcapng file record by record with libpcap's offline reader, at nanosecond precision,
// knowing each record's byte offset so that a failure can say where it is.
//
// Offsets: libpcap reads through a stdio FILE (pcap_file()), so ftell() just before pcap_next_ex() is the
// offset of the record (classic pcap) or block (pcapng) about to be read; libpcap keeps doing all the format
// parsing, byte-order and timestamp-unit handling. For classic pcap, ftell() after the read also shows when
// libpcap silently truncated a record whose caplen exceeds the file's snaplen; that is reported as malformed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "base/expected.h"
#include "capture/packet_dissector.h"
#include "capture/pcap_handle.h"

namespace sockspec::capture {

// libpcap's DLT_ value to the link layers the dissector knows (Unsupported for the rest).
LinkType linkTypeFromDlt(int dlt);

struct CaptureRecord {
  std::int64_t offset = 0;              // byte offset of the record (pcapng: block) in the file
  std::int64_t timestampNs = 0;         // since the epoch, as the file says
  std::uint32_t wireLength = 0;         // the frame's length on the wire
  std::span<const std::uint8_t> frame;  // captured bytes, valid until the next call to next()
};

enum class ReadStatus { Record, End, Error };

class PcapFileReader {
 public:
  // Opens `path`; the error is "PATH: record at offset 0: what libpcap said".
  static Expected<PcapFileReader, std::string> open(const std::string& path);

  // The next record; after Error, error() says "PATH: record at offset N: what" and the reader is done.
  ReadStatus next(CaptureRecord& record);
  const std::string& error() const { return m_error; }

  int dlt() const;
  LinkType linkType() const { return linkTypeFromDlt(dlt()); }
  bool isPcapng() const { return m_pcapng; }

 private:
  PcapFileReader(std::string path, PcapHandle handle, bool pcapng)
      : m_path(std::move(path)), m_handle(std::move(handle)), m_pcapng(pcapng) {}
  ReadStatus fail(std::int64_t offset, const std::string& what);

  std::string m_path;
  PcapHandle m_handle;
  bool m_pcapng = false;
  bool m_done = false;
  // Where the next classic record starts when the stream cannot say (a pipe: ftell fails): counted from the
  // 24-byte file header and each record's 16-byte header and captured bytes.
  std::int64_t m_streamOffset = 24;
  std::string m_error;
};

}  // namespace sockspec::capture
