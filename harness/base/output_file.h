// The one way a command writes a file the user named (run --out and --report FORMAT=FILE; more to come):
// checked before any work starts, written whole or not at all, and never replacing what is not a file.
#pragma once

#include <string>
#include <string_view>

#include "base/expected.h"

namespace sockspec {

// Before any work: `path` must be something a result can be written to. A folder, a name in a folder that
// does not exist, or a FIFO nobody reads is refused: "PATH: is a directory", "PATH: the folder DIR does
// not exist (ENOENT ...)", "PATH: a FIFO with no reader (ENXIO ...)".
Expected<void, std::string> checkOutputPath(const std::string& path);

// `path` is a folder in which this process can make files; the message names it as `shown`.
Expected<void, std::string> checkWritableFolder(const std::string& path, const std::string& shown);

// For a name that does not exist yet: the folder it would be made in must be there. "PATH: the folder DIR
// does not exist (ENOENT)", "PATH: DIR is not a folder (ENOTDIR)", "PATH: stat: EACCES (...)".
Expected<void, std::string> checkParentFolder(const std::string& path);

// Writes `text` to `path`, by what is there:
// - nothing, or a regular file: into a hidden temporary file beside it, fsync'd, then renamed over it, so a
//   reader sees the old file or the whole new one, never a part;
// - a symbolic link: the same at the file it points to, so the link stays a link;
// - anything else that can be opened for writing (a character device such as /dev/stdout or /dev/null, a
//   FIFO with a reader): written in place, and never replaced by a regular file.
// The error names the path and the call's errno ("out.json: rename: EXDEV ..."); /dev/full gives ENOSPC.
Expected<void, std::string> writeOutputFile(const std::string& path, std::string_view text);

}  // namespace sockspec
