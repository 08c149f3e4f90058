// The JSON report of `sockspec run`, for programs: the schema is in docs/reports.md and pinned by
// tests/data/reports/run.json.
#pragma once

#include <string>

#include "report/run_result.h"

namespace sockspec::report {

// The document {suite, summary, scenarios, claims}, keys in that order, indented by two spaces, with a final
// newline. Durations are rounded to the microsecond. Bytes that are not UTF-8 become U+FFFD rather than
// throwing; other characters (a NUL included) are kept, escaped as JSON requires.
std::string renderJsonReport(const RunResult& result);

}  // namespace sockspec::report
