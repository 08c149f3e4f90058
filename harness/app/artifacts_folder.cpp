#include "app/artifacts_folder.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "base/output_file.h"
#include "base/sys_error.h"

namespace sockspec::app {

namespace fs = std::filesystem;

Expected<ArtifactsFolder, std::string> ArtifactsFolder::check(const std::string& given) {
  std::string shown = "--artifacts " + given;
  std::error_code error;
  fs::path absolute = fs::absolute(given, error);
  if (error) return Unexpected{fmt::format("{}: {}", shown, error.message())};
  ArtifactsFolder folder;
  folder.m_given = given;
  folder.m_path = absolute.lexically_normal();
  if (!folder.m_path.has_filename()) folder.m_path = folder.m_path.parent_path();  // "dir/"
  struct stat status {};
  if (::lstat(folder.m_path.c_str(), &status) == 0 || errno != ENOENT) {
    // There (a folder, a file, a link, a loop): it must be a folder that can take files.
    if (auto usable = checkWritableFolder(folder.m_path.string(), shown); !usable) return Unexpected{usable.error()};
    return folder;
  }
  // One level is made, once the target is known to be usable; a missing parent is more likely a typo.
  if (auto parent = checkParentFolder(given); !parent) return Unexpected{"--artifacts " + parent.error()};
  if (auto usable = checkWritableFolder(folder.m_path.parent_path().string(), shown); !usable) {
    return Unexpected{usable.error()};
  }
  folder.m_made = folder.m_path;
  return folder;
}

Expected<void, std::string> ArtifactsFolder::make() const {
  if (m_made.empty()) return {};
  if (::mkdir(m_path.c_str(), 0755) != 0 && errno != EEXIST) {
    return Unexpected{fmt::format("--artifacts {}: {}", m_given, SysError{errno, "mkdir"}.describe())};
  }
  return {};
}

void ArtifactsFolder::removeMade() const {
  if (!m_made.empty()) (void)::rmdir(m_made.c_str());  // only while empty
}

}  // namespace sockspec::app
