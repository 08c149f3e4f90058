// OutputFolder: a folder the user named for a command's results (fuzz --artifacts, replay --write-scenarios,
// run --capture). Checked before any work without making anything, made only when the work starts (one level:
// a missing parent is more likely a typo than a wish for a new tree), and removed again when the command is
// then refused before it wrote anything, so that bad input leaves nothing behind.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include "base/expected.h"

namespace sockspec {

class OutputFolder {
 public:
  struct Owner {
    uid_t uid;
    gid_t gid;
  };

  // Makes nothing. An existing `given` must be a folder this process can make files in; a missing one must
  // have such a folder as its parent. The error names `option`, the path and the part that is not:
  // "--artifacts out/x: the folder /abs/out does not exist (ENOENT)", "--capture f: not a folder (ENOTDIR)".
  static Expected<OutputFolder, std::string> check(const std::string& option, const std::string& given);

  // mkdir(2) when check() found it missing, then chown(2) to `owner` when given (for the user a job switches
  // to). The error names the option, the path and the call's errno.
  Expected<void, std::string> make(const std::optional<Owner>& owner = std::nullopt) const;

  // Removes the folder make() created, only while it is empty (rmdir(2)); a folder that was there stays.
  void removeIfUnused() const;

  // Absolute and normalised: reports and sidecars name it whole.
  std::string path() const { return m_path.string(); }

 private:
  std::string m_shown;  // "--artifacts out/x"
  std::filesystem::path m_path;
  bool m_missing = false;  // not there at check(): make() makes it, removeIfUnused() may remove it
};

}  // namespace sockspec
