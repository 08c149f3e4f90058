// Finding scenario files: the paths given on the command line (files, or folders searched recursively for
// *.scn), or the installed default suite.
#pragma once

#include <string>
#include <vector>

#include "base/expected.h"

namespace sockspec::runner {

// Every *.scn under the given files and folders, sorted, without duplicates. Fails naming a path that does
// not exist or cannot be read.
Expected<std::vector<std::string>, std::string> collectScenarioFiles(const std::vector<std::string>& paths);

// The default suite's folder: $SOCKSPEC_SUITE_DIR if set; else <prefix>/share/sockspec/suites/default next to
// the installed program; else the source tree's scenarios/default (a build-tree run).
Expected<std::string, std::string> defaultSuiteDirectory();

}  // namespace sockspec::runner
