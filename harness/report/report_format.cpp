#include "report/report_format.h"

#include <cerrno>

#include <fmt/format.h>

#include "base/output_file.h"
#include "report/json_report.h"
#include "report/junit_report.h"
#include "report/tap_report.h"

namespace sockspec::report {

namespace {

Expected<void, std::string> failureAt(std::string_view where, const SysError& error) {
  return Unexpected{fmt::format("{}: {}", where, error.describe())};
}

}  // namespace

Expected<ReportFormat, std::string> parseReportFormat(std::string_view name) {
  if (name == "json") return ReportFormat::Json;
  if (name == "junit") return ReportFormat::Junit;
  if (name == "tap") return ReportFormat::Tap;
  return Unexpected{fmt::format("unknown report format '{}' (expected json, junit or tap)", name)};
}

std::string_view reportFormatName(ReportFormat format) {
  switch (format) {
    case ReportFormat::Json: return "json";
    case ReportFormat::Junit: return "junit";
    case ReportFormat::Tap: return "tap";
  }
  return "?";
}

std::string renderReport(ReportFormat format, const RunResult& result) {
  switch (format) {
    case ReportFormat::Json: return renderJsonReport(result);
    case ReportFormat::Junit: return renderJunitReport(result);
    case ReportFormat::Tap: return renderTapReport(result);
  }
  return {};
}

Result<void> writeText(std::FILE* out, std::string_view text) {
  // stdio does not promise errno on a short fwrite; EIO stands in when it left none.
  errno = 0;
  if (std::fwrite(text.data(), 1, text.size(), out) != text.size())
    return failWith(errno ? errno : EIO, "write");
  if (std::fflush(out) != 0) return failWith(errno ? errno : EIO, "write");
  return {};
}

Expected<void, std::string> writeReport(ReportFormat format, const RunResult& result, std::FILE* out,
                                        std::string_view name) {
  auto written = writeText(out, renderReport(format, result));
  if (!written) return failureAt(name, written.error());
  return {};
}

Expected<void, std::string> writeReport(ReportFormat format, const RunResult& result,
                                        const std::string& path) {
  return writeOutputFile(path, renderReport(format, result));
}

}  // namespace sockspec::report
