// The JUnit XML report of `sockspec run`, the format the test reporters of Jenkins, GitLab and GitHub
// Actions read: one <testsuite> of <testcase>s, times in seconds, the claims as <properties> and again, for
// people, in <system-out>. Example in docs/reports.md; pinned by tests/data/reports/run.junit.xml.
#pragma once

#include <string>
#include <string_view>

#include "report/run_result.h"

namespace sockspec::report {

// The whole document, UTF-8, ending with a newline. Never fails: characters XML 1.0 cannot carry are
// replaced as escapeXmlText() says.
std::string renderJunitReport(const RunResult& result);

// Text for element content: & < > " ' become entities and \r &#13; (a parser would turn it into \n); tab
// and newline stay. What XML 1.0 forbids or a viewer could act on becomes visible text: other C0 controls,
// DEL and bytes that are not UTF-8 become \xNN, C1 controls and U+FFFE/U+FFFF \uNNNN.
std::string escapeXmlText(std::string_view text);

// As escapeXmlText(), and also \n and \t as &#10; and &#9;, which a parser would otherwise turn into spaces
// in an attribute value.
std::string escapeXmlAttribute(std::string_view text);

}  // namespace sockspec::report
