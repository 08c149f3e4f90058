// The reports one run writes: the console for people (stdout, or stderr when a machine report takes
// stdout) and any number of machine reports, each to its own file or one of them to stdout:
//   --report json                      JSON on stdout
//   --report junit --out ci.xml        one report into a file (the older spelling)
//   --report junit=ci.xml --report json=out.json --report tap
// Every format is rendered from the same RunResult, so they carry the same messages.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "base/expected.h"
#include "report/console_report.h"
#include "report/report_format.h"
#include "report/run_result.h"

namespace sockspec::app {

struct ReportOutput {
  report::ReportFormat format = report::ReportFormat::Json;
  std::string path;  // "" for stdout
};

struct ReportOutputs {
  report::ColorMode color = report::ColorMode::Auto;
  std::vector<ReportOutput> machine;

  // With a machine report on stdout, people's lines go to stderr.
  bool machineOnStdout() const;
  std::FILE* consoleStream() const { return machineOnStdout() ? stderr : stdout; }
};

// From --color, every --report and --out. Fails with the option and what is wrong ("--report: unknown
// report format 'xml' (expected json, junit or tap)", "--out needs --report json|junit|tap").
Expected<ReportOutputs, std::string> parseReportOutputs(const std::string& color, const std::vector<std::string>& reports,
                                                        const std::string& out);

// Writes every machine report; fails on the first that cannot be written, naming it (the others are still
// written).
Expected<void, std::string> writeReports(const ReportOutputs& outputs, const report::RunResult& result);

}  // namespace sockspec::app
