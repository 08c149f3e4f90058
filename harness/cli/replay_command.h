// `sockspec replay`: sends reproducers written by `sockspec fuzz` (or any file of raw bytes) to a server
// again, one fresh connection each, and says what happened; exit 1 when a fault reproduces. Over a folder
// of kept reproducers it is the black-box regression suite (docs/fuzzing-black-box.md).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace sockspec::cli {

std::function<int()> addReplayCommand(CLI::App& app);

}  // namespace sockspec::cli
