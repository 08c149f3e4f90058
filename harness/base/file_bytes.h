// readFileBytes: a whole file into memory, or the errno of the call that failed ("open: ENOENT ..."), for
// the small files the tools read whole (scenarios, reproducers, a log's tail, fuzz inputs).
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

#include "base/sys_error.h"

namespace sockspec {

// Reads `path` to its end, or to one byte past `maxBytes` (so that a caller with a size limit can tell a
// file over it without reading all of it). Interrupted reads are retried.
Result<std::string> readFileBytes(const std::string& path,
                                  std::size_t maxBytes = std::numeric_limits<std::size_t>::max() - 1);

// Writes all of `bytes` to `fd` (a pipe, a file), retrying short and interrupted writes; the errno of a
// write that failed otherwise ("write: EPIPE ...").
Result<void> writeAllBytes(int fd, std::string_view bytes);

}  // namespace sockspec
