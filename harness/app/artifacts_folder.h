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
  // Makes nothing: an existing `given` must be a writable folder; a missing one must have a writable folder
  // as its nearest existing parent. The error names the option and the part that is not
  // ("--artifacts out/x: /abs/out is not a directory").
  static Expected<ArtifactsFolder, std::string> check(const std::string& given);

  // create_directories; the error names the option and the reason.
  Expected<void, std::string> make() const;

  // Removes the folders make() created, deepest first, each only while empty.
  void removeMade() const;

  // Absolute and normalised: the reproducers' sidecars name it whole.
  std::string path() const { return m_path.string(); }

 private:
  std::string m_given;
  std::filesystem::path m_path;
  std::filesystem::path m_made;  // the highest folder that did not exist at check(); empty when it all did
};

}  // namespace sockspec::app
