// The outcome of a run, as every report format sees it: one result per scenario (or per check of a service
// suite), a summary, and the verdicts on the tutorial's claims. Filled by the runner, written by the
// console, JSON, JUnit and TAP writers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sockspec::report {

enum class Status { Passed, Failed, Skipped };

struct CheckResult {
  std::string id;        // "close.unread-data-rst[tcp6]" or "echo.one-byte-writes"
  std::string family;    // "tcp6"; for a service suite the target's transport ("tcp", "udp", "unix")
  Status status = Status::Passed;
  std::string file;      // where the check is defined ("" for built-in service checks)
  int line = 0;          // the failing step's line, else the scenario's first line
  std::string message;   // failure: "recv client 16: expected ECONNRESET, got 0 (eof)"; skip: the reason
  // sockspec itself failed this check (its process died without a result): no verdict, and the run exits 3.
  bool harnessFault = false;
  double durationMs = 0;
  std::vector<int> claims;  // the tutorial's claims (1-4) the check is evidence for
  std::vector<int> refutes; // the subset of `claims` that this check passing refutes (the rest it confirms)
  std::string source;       // the citation its expectation rests on
  // run --capture: the pcap written for this check and its size on disk, or why none could be (a lost
  // capture: the run exits 3); and libpcap's counts, what the kernel saw (a drop makes the wire record
  // incomplete). All empty when the check was not captured.
  std::string captureFile;
  std::uint64_t captureBytes = 0;
  std::string captureError;  // "DIR/x.tcp4.pcap: write: ENOSPC (No space left on device)"
  std::uint64_t captureReceived = 0;
  std::uint64_t captureDropped = 0;
  bool captured() const { return !captureFile.empty() || !captureError.empty(); }
  std::string title;
  // What became of the server under test (--target-cmd, --target) in this check, when it was not well: it
  // "died during this check (killed by SIGSEGV)", or "stopped answering after this check (connect to
  // tcp://127.0.0.1:4242: ECONNREFUSED)". Empty when it was well, or was not looked at (a check that passed).
  std::string target;
  // Wire steps: how many were checked against captured packets, and how many could not be (no capture:
  // not root, --isolation none, the capture failed to open; or a family with no packets), with the first
  // reason. A skipped wire step never counts as passed: the check's verdict then rests on the calls alone.
  int wireAsserted = 0;
  int wireSkipped = 0;
  std::string wireSkipReason;
};

enum class ClaimVerdict { Confirmed, PartlyTrue, Refuted, Untested };

struct ClaimResult {
  int claim = 0;
  std::string text;          // the claim as the tutorial makes it
  ClaimVerdict verdict = ClaimVerdict::Untested;
  std::string summary;       // one sentence: what this OS really does
  std::vector<std::string> evidence;  // ids of the checks the verdict rests on
};

struct RunSummary {
  std::size_t passed = 0;
  std::size_t failed = 0;
  std::size_t skipped = 0;
  double durationMs = 0;
};

struct RunResult {
  std::string suite;  // "default", "echo", or the paths given
  std::vector<CheckResult> checks;
  std::vector<ClaimResult> claims;  // empty for service suites
  // The run's wall-clock time, set by the runner; unset, the summary's duration is the sum of the checks'.
  std::optional<double> elapsedMs;
  RunSummary summary() const;
};

// What the wire steps of a check amounted to, for every report format: "wire: 3 asserted",
// "wire: 0 asserted, 2 skipped (needs CAP_NET_RAW to capture (run as root))"; empty without wire steps.
std::string describeWireEvidence(const CheckResult& check);

// A capture that could not be written, for every report format: "capture not written: DIR/x.tcp4.pcap:
// write: ENOSPC (No space left on device)"; empty when it was written or not asked for.
std::string describeCaptureLoss(const CheckResult& check);

// How many checks lost their capture, and the first of them (nullptr when none did).
struct CaptureLosses {
  std::size_t count = 0;
  const CheckResult* first = nullptr;
};
CaptureLosses captureLosses(const RunResult& result);

std::string_view statusName(Status status);         // "passed", "failed", "skipped"
std::string_view verdictName(ClaimVerdict verdict);  // "confirmed", "partly true", "refuted", "untested"

}  // namespace sockspec::report
