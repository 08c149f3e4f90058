// The sanitizer report a crashed server printed, read from the tail of its output: what makes a crash's
// finding say "AddressSanitizer: heap-buffer-overflow server.c:41:7 in handle_stat" instead of "exit 1", and
// what tells two crashes with the same exit apart. Reports as compiler-rt's sanitizers print them
// (sanitizer_common/sanitizer_report_decorator.h and each tool's *_report.cpp): a first line
// "==PID==ERROR: AddressSanitizer: ...", "==PID==ERROR: LeakSanitizer: ...", "WARNING: ThreadSanitizer: ...",
// "WARNING: MemorySanitizer: ...", or UBSan's "file:line:col: runtime error: ..."; a last line
// "SUMMARY: <Tool>: <kind> <place>". The output is the server's, so untrusted: any bytes, any length,
// reports cut short; the parse is linear and its results bounded.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sockspec::blackbox {

// The most of a report kept (from its first line).
inline constexpr std::size_t kMaxReportBytes = 16 * 1024;
// The most of a summary kept.
inline constexpr std::size_t kMaxSummaryBytes = 300;

struct SanitizerReport {
  // "AddressSanitizer: heap-buffer-overflow /src/server.c:41:7 in handle_stat": the SUMMARY line without
  // "SUMMARY: ", or, for a report cut short before it, the first line without its "==PID==ERROR: ".
  std::string summary;
  // The same with what differs between runs and checkouts left out: hexadecimal addresses become "0x?",
  // paths their file names. Two crashes with the same key are the same finding.
  std::string key;
  std::string text;  // the report, its first line to its SUMMARY line (or as much as there is)
};

// The last report in `output`; nullopt when it holds none.
std::optional<SanitizerReport> findSanitizerReport(std::string_view output);

}  // namespace sockspec::blackbox
