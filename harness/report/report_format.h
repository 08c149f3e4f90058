// Choosing and writing one of the machine-readable reports of `sockspec run` (docs/reports.md) to a stream
// or a file. The console report, for people, is console_report.h.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

#include "base/expected.h"
#include "base/sys_error.h"
#include "report/run_result.h"

namespace sockspec::report {

enum class ReportFormat { Json, Junit, Tap };

// "json", "junit" or "tap" (exactly, lower case). Fails with
// "unknown report format 'xml' (expected json, junit or tap)".
Expected<ReportFormat, std::string> parseReportFormat(std::string_view name);
std::string_view reportFormatName(ReportFormat format);

// The whole report as text, by the format's writer (json_report.h, junit_report.h, tap_report.h).
std::string renderReport(ReportFormat format, const RunResult& result);

// Writes `text` to `out` and flushes it. Fails with the errno of the failed fwrite/fflush (call "write").
Result<void> writeText(std::FILE* out, std::string_view text);

// Writes the report to an open stream and flushes it. Fails with "NAME: write: EPIPE (Broken pipe)", where
// NAME is `name` ("stdout"): a stream has no path of its own.
Expected<void, std::string> writeReport(ReportFormat format, const RunResult& result, std::FILE* out,
                                        std::string_view name = "report output");

// Replaces the file at `path` with the report, atomically: the text goes to a temporary file in the same
// directory, is fsync()ed and then renamed over `path`, so a crash leaves either the old file or the whole
// new one, never half a report. The new file is mode 0644. Fails with "PATH: CALL: ENAME (description)", e.g.
// "out/run.json: mkostemp: ENOENT (No such file or directory)", having removed the temporary file.
Expected<void, std::string> writeReport(ReportFormat format, const RunResult& result,
                                        const std::string& path);

}  // namespace sockspec::report
