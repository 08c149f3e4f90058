// The --capture folder, made ready before any check starts: made when it is missing (run_plan.cpp has
// checked that its parent is there), given to the --user the jobs switch to when sockspec made it, and
// proved writable by whoever writes the pcaps into it, so that a read-only or foreign folder is one usage
// error (exit 2) up front rather than a lost capture per check.
#pragma once

#include <optional>
#include <string>

#include "base/expected.h"
#include "base/output_folder.h"
#include "runner/privilege_drop.h"

namespace sockspec::app {

// The folder (made, given to `writer` when sockspec made it), or one line naming --capture, the path and the
// errno: "--capture DIR: mkdir: EROFS (Read-only file system)", "--capture DIR: not writable by user nobody:
// open: EACCES (Permission denied)"; a folder it made is removed again. removeIfUnused() undoes it for a run
// refused afterwards (an unreachable target: exit 2, which leaves nothing behind).
Expected<OutputFolder, std::string> prepareCaptureFolder(const std::string& directory,
                                                         const std::optional<runner::RunAs>& writer);

}  // namespace sockspec::app
