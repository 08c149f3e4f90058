// How a scenario job's process hands its result to the scheduler: the run-dependent fields of a CheckResult
// as one JSON object over a pipe (the rest, id, file, claims, is known to the parent already).
#pragma once

#include <string>

#include "base/expected.h"
#include "report/run_result.h"

namespace sockspec::runner {

// One line of JSON; bytes that are not UTF-8 in a message are replaced, never an exception.
std::string encodeJobResult(const report::CheckResult& result);

// Fills `result`'s run-dependent fields from `text`: true when it did; false when `text` holds no JSON object
// (the process ended before writing one); an error naming the field when the object is not a result.
Expected<bool, std::string> decodeJobResult(const std::string& text, report::CheckResult& result);

}  // namespace sockspec::runner
