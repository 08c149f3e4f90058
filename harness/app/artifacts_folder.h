// fuzz --artifacts DIR: checked before anything is started, made only once the target is known to be
// usable, and removed again (what this run made of it) when the run is refused before it fuzzed, so that
// bad input leaves nothing behind. Private to app/ (fuzz_run.cpp).
#pragma once

#include <filesystem>
#include <string>

#include "base/expected.h"

namespace sockspec::app {

class ArtifactsFolder {
 public:
  // Makes nothing: an existing `given` must be a folder that can take files; a missing one (made by make(),
  // one level) must be in one. The error names the option, the path and the errno ("--artifacts out: not a
  // folder (ENOTDIR)", "--artifacts a/b: the folder a does not exist (ENOENT)", "--artifacts ro: access:
  // EROFS (Read-only file system)", "--artifacts loop: stat: ELOOP ...").
  static Expected<ArtifactsFolder, std::string> check(const std::string& given);

  // mkdir of the missing folder, if it was; the error names the option, the path and the errno.
  Expected<void, std::string> make() const;

  // Removes the folder make() created, only while empty.
  void removeMade() const;

  // Absolute and normalised: the reproducers' sidecars name it whole.
  std::string path() const { return m_path.string(); }

 private:
  std::string m_given;
  std::filesystem::path m_path;
  std::filesystem::path m_made;  // the folder that did not exist at check(); empty when it did
};

}  // namespace sockspec::app
