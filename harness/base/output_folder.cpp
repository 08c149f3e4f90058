#include "base/output_folder.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "base/output_file.h"
#include "base/sys_error.h"

namespace sockspec {

namespace fs = std::filesystem;

Expected<OutputFolder, std::string> OutputFolder::check(const std::string& option, const std::string& given) {
  OutputFolder folder;
  folder.m_shown = option + " " + given;
  std::error_code error;
  fs::path absolute = fs::absolute(given, error);
  if (error) return Unexpected{fmt::format("{}: {}", folder.m_shown, error.message())};
  folder.m_path = absolute.lexically_normal();
  if (!folder.m_path.has_filename()) folder.m_path = folder.m_path.parent_path();  // "dir/"
  struct stat status {};
  if (::lstat(folder.m_path.c_str(), &status) == 0 || errno != ENOENT) {
    // There (a folder, a file, a link, a loop): it must be a folder that can take files.
    if (auto usable = checkWritableFolder(folder.m_path.string(), folder.m_shown); !usable) {
      return Unexpected{usable.error()};
    }
    return folder;
  }
  if (auto parent = checkParentFolder(given); !parent) return Unexpected{option + " " + parent.error()};
  if (auto usable = checkWritableFolder(folder.m_path.parent_path().string(), folder.m_shown); !usable) {
    return Unexpected{usable.error()};
  }
  folder.m_missing = true;
  return folder;
}

Expected<void, std::string> OutputFolder::make(const std::optional<Owner>& owner) const {
  if (!m_missing) return {};
  if (::mkdir(m_path.c_str(), 0755) != 0 && errno != EEXIST) {
    return Unexpected{fmt::format("{}: {}", m_shown, SysError{errno, "mkdir"}.describe())};
  }
  if (owner && ::chown(m_path.c_str(), owner->uid, owner->gid) != 0) {
    auto failure = SysError{errno, "chown"}.describe();
    removeIfUnused();
    return Unexpected{fmt::format("{}: {}", m_shown, failure)};
  }
  return {};
}

void OutputFolder::removeIfUnused() const {
  if (m_missing) (void)::rmdir(m_path.c_str());  // fails with ENOTEMPTY once anything is in it: it stays
}

}  // namespace sockspec
