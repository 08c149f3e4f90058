// Reads scenario files (docs/scenario-language.md). Never throws, never crashes, and stops on any input:
// every problem is reported as file:line:col with what was expected there.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "base/sys_error.h"
#include "scenario/scenario.h"

namespace sockspec::scenario {

struct ParseError {
  SourcePlace place;
  std::string message;
  // "backlog/listen-zero.scn:12:8: unknown verb 'lisen': expected one of socket, bind, ..."
  std::string describe() const;
};

// At most this many errors are collected from one file; the rest would only repeat the cause.
inline constexpr std::size_t kMaxErrorsPerFile = 20;
// Files larger than this are refused before parsing.
inline constexpr std::size_t kMaxScenarioFileBytes = 1024 * 1024;
// The largest byte string one step may build ("x" * N): enough for bulk steps, small enough for memory.
inline constexpr std::size_t kMaxBytesValue = 16 * 1024 * 1024;
// All byte strings of one file together: without it a few kilobytes of "x" * 16MiB lines held gigabytes
// (found by the scenario_parser fuzz target).
inline constexpr std::size_t kMaxBytesPerFile = 64 * 1024 * 1024;
// Parentheses in byte expressions nest at most this deep.
inline constexpr int kMaxNesting = 8;

// The byte-string bounds above, as one parse applies them. Callers other than the scenario_parser fuzz
// target keep the defaults; the fuzz target parses with smaller ones (the same checks, reached by small
// inputs), so that an input declaring "x" * 16MiB costs microseconds rather than a 16 MiB build, print and
// re-parse.
struct ParseLimits {
  std::size_t bytesValue = kMaxBytesValue;
  std::size_t bytesPerFile = kMaxBytesPerFile;
};

using ParseResult = Expected<Scenario, std::vector<ParseError>>;

// How send-file's files are read (base/file_bytes.h's contract: to the end, or one byte past `maxBytes`).
// Empty: from the file system, relative to the scenario file's folder. The scenario_parser fuzz target gives
// one that serves fixed bytes, so that fuzzing reads no file.
using FileReader = std::function<Result<std::string>(const std::string& path, std::size_t maxBytes)>;

ParseResult parseScenario(std::string_view text, std::string_view fileName, const ParseLimits& limits = {},
                          const FileReader& readFile = {});
// Reads and parses a file; an unreadable file is one error naming it and the errno.
ParseResult parseScenarioFile(const std::string& path);

}  // namespace sockspec::scenario
