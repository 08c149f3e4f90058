// An options file: a command line kept beside a program that cannot be given one (sockspec-server-fuzzer,
// whose command line is libFuzzer's). One option per line, `--name` or `--name VALUE`, where VALUE is the
// rest of the line as written (no quoting: `--target-cmd {dir}/server --port {port}` is one value); blank
// lines and lines starting with `#` are skipped. `{dir}` in a value becomes the file's own folder, so that
// the file and the server it names can move together (ClusterFuzzLite copies $OUT elsewhere).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"

namespace sockspec::cli {

struct OptionsFileLine {
  int line = 0;
  std::string name;                  // "--target-cmd"
  std::optional<std::string> value;  // nullopt: a flag
};

// The options of `path`, in order. The error names the file, and the line and column of a malformed line
// ("FILE:3:1: expected an option, --name [VALUE]"), or the errno of a file that cannot be read.
Expected<std::vector<OptionsFileLine>, std::string> readOptionsFile(const std::string& path);

}  // namespace sockspec::cli
