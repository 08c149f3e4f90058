// The capture of one service check (docs/service-suites.md, "On the wire"): on the host's `lo`, filtered to
// the target's address, port and protocol so that no other traffic is in it, opened before the check starts,
// drained while the check's process runs and finished after it. A failed check's message then says what the
// server did on the wire, with the packet numbers of the pcap (capture/wire_account.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "net/endpoint.h"
#include "report/run_result.h"
#include "suites/isolated_check.h"

namespace sockspec::capture {
class LiveCapture;
}

namespace sockspec::suites {

class CheckCapture {
 public:
  // Starts capturing into DIRECTORY/<stem>.pcap (`stem`: "echo.half-close.tcp") when `directory` is not
  // empty; a capture that cannot be opened is said in record(). Needs CAP_NET_RAW.
  CheckCapture(const std::string& directory, bool keep, const std::string& stem, const net::Endpoint& target);
  CheckCapture(const CheckCapture&) = delete;  // whileRunning() hands out a pointer to this
  CheckCapture& operator=(const CheckCapture&) = delete;
  ~CheckCapture();

  // For runIsolatedCheck: drains the capture as the check runs; an empty one when there is no capture.
  WhileRunning whileRunning();
  // After the check's process has ended: waits until the wire is quiet (at most 300 ms) when the pcap is
  // kept or the check failed, so that the last close's FIN, ACK or RST are in it; then closes the file.
  void stop(report::Status status);
  // Into `result`, after stop(): with `keep`, the pcap and its counts; for a failed check, what the server
  // did on the wire appended to the message; a drop (the record is then incomplete) said in the message. A
  // kept capture that could not be opened or written is recorded as lost (CheckResult::captureError). An
  // unkept pcap is removed when this object goes.
  void record(report::CheckResult& result);

 private:
  std::unique_ptr<capture::LiveCapture> m_capture;
  net::Endpoint m_target;
  bool m_keep = false;
  std::string m_path;
  std::string m_failure;       // the capture could not be opened: "PATH: open: EACCES (...)"
  std::string m_writeFailure;  // it could not be written: "PATH: write: ENOSPC (...)"
  std::uint64_t m_bytes = 0;
  std::uint64_t m_received = 0;
  std::uint64_t m_dropped = 0;
};

}  // namespace sockspec::suites
