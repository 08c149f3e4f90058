// The TAP report of `sockspec run`, version 13 (testanything.org): a plan, one line per check, a YAML block
// under each failure, the summary and claims as comments. Pinned by tests/data/reports/run.tap.
#pragma once

#include <string>
#include <string_view>

#include "report/run_result.h"

namespace sockspec::report {

// "TAP version 13", "1..N", then "ok 1 - id", "not ok 2 - id" with its "  ---" ... "  ..." block,
// "ok 3 - id # SKIP reason"; every line ends with a newline. Never fails.
std::string renderTapReport(const RunResult& result);

// A test line's description: one line (as detail::oneLine() makes it), with \ and # escaped as \\ and \#
// so that a TAP consumer does not read a directive into an id.
std::string escapeTapDescription(std::string_view text);

// A YAML double-quoted scalar, quotes included: \ and " escaped, \n \r \t as such, other controls as \xNN
// (a NUL as \x00, U+0085 as \x85: forms TAP::Parser's YAMLish decodes too), U+FFFE/U+FFFF as \uNNNN, bytes
// that are not UTF-8 shown as the text \xNN (YAML is Unicode text; it cannot carry them).
std::string yamlQuoted(std::string_view text);

}  // namespace sockspec::report
