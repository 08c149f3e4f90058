#include "app/report_outputs.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/output_file.h"

namespace sockspec::app {

bool ReportOutputs::machineOnStdout() const {
  return std::any_of(machine.begin(), machine.end(), [](const ReportOutput& output) { return output.path.empty(); });
}

Expected<ReportOutputs, std::string> parseReportOutputs(const std::string& color, const std::vector<std::string>& reports,
                                                        const std::string& out) {
  ReportOutputs outputs;
  auto mode = report::parseColorMode(color);
  if (!mode) return Unexpected{"--color: " + mode.error()};
  outputs.color = *mode;
  for (const std::string& spelled : reports) {
    auto equals = spelled.find('=');
    ReportOutput output;
    auto format = report::parseReportFormat(std::string_view(spelled).substr(0, equals));
    if (!format) return Unexpected{"--report: " + format.error()};
    output.format = *format;
    if (equals != std::string::npos) {
      output.path = spelled.substr(equals + 1);
      if (output.path.empty()) return Unexpected{fmt::format("--report {}: no file after '='", spelled)};
    }
    outputs.machine.push_back(std::move(output));
  }
  if (!out.empty()) {
    std::size_t toStdout = static_cast<std::size_t>(std::count_if(
        outputs.machine.begin(), outputs.machine.end(), [](const ReportOutput& output) { return output.path.empty(); }));
    if (outputs.machine.empty()) return Unexpected{std::string("--out needs --report json|junit|tap")};
    if (toStdout != 1) {
      return Unexpected{std::string("--out goes with one --report FORMAT; give each report its own file: "
                                    "--report FORMAT=FILE")};
    }
    for (auto& output : outputs.machine) {
      if (output.path.empty()) output.path = out;
    }
  }
  std::vector<std::string> seen;
  for (const auto& output : outputs.machine) {
    std::string where = output.path.empty() ? "stdout" : output.path;
    if (std::find(seen.begin(), seen.end(), where) != seen.end()) {
      return Unexpected{fmt::format("--report: two reports would go to {}; give each its own file (FORMAT=FILE)",
                                    where)};
    }
    seen.push_back(where);
    // Before the run, not after it: a report that cannot be written is a usage error (exit 2).
    if (!output.path.empty()) {
      if (auto usable = checkOutputPath(output.path); !usable) {
        return Unexpected{fmt::format("{}: {}", out.empty() ? "--report" : "--out", usable.error())};
      }
    }
  }
  return outputs;
}

Expected<void, std::string> writeReports(const ReportOutputs& outputs, const report::RunResult& result) {
  std::optional<std::string> firstError;
  for (const auto& output : outputs.machine) {
    auto written = output.path.empty() ? report::writeReport(output.format, result, stdout, "stdout")
                                       : report::writeReport(output.format, result, output.path);
    if (!written && !firstError) firstError = written.error();
  }
  if (firstError) return Unexpected{*firstError};
  return {};
}

}  // namespace sockspec::app
