// Approval files (as Catch2 pins its reporters): a test's output compared byte for byte with a file under
// tests/data/. SOCKSPEC_APPROVE=1 rewrites the file instead (review its diff); a mismatch leaves what the test
// got in <name>.received in the working directory and names the first differing byte.
#pragma once

#include <string>

namespace sockspec::testing {

// `folder` is relative to the source tree ("tests/data/reports").
void checkApproved(const std::string& folder, const std::string& name, const std::string& actual);

}  // namespace sockspec::testing
