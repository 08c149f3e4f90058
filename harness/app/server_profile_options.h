// The server profile's options (suite "server", docs/server-profile.md): --request in the scenario
// language's escapes, and what its reply must match (--reply, an RE2 regex; --reply-prefix; --reply-exact).
// Kept apart from run_plan.cpp so that the profile's planning is one call there.
#pragma once

#include <string>
#include <string_view>

#include "app/run_options.h"
#include "base/expected.h"
#include "suites/service_suite.h"

namespace sockspec::app {

// The bytes of `text` with the scenario language's string escapes decoded (\n \r \t \0 \\ \" \xNN);
// an error names the escape and its column: "unknown escape '\q' at column 5".
Expected<std::string, std::string> decodeEscapes(std::string_view text);

// Fills the suite's request and reply pattern from the options. The error names the option
// ("--reply '(': missing ): ("); the options are refused with any suite but "server", and that suite needs
// --request and exactly one of the reply options.
Expected<void, std::string> planServerProfile(const RunOptions& options, suites::SuiteOptions& suite);

}  // namespace sockspec::app
