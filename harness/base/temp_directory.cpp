#include "base/temp_directory.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "base/output_file.h"
#include "base/sys_error.h"

namespace sockspec {

namespace {

constexpr const char* kOwnerFile = ".owner";

// The `.owner` file, locked before it gets its name, so that a sweeping process never sees it unlocked
// while its maker lives. -1 when any step fails: the folder then simply cannot be swept.
int lockOwnership(const std::string& folder) {
  std::string pending = folder + "/.owner.new";
  int fd = ::open(pending.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return -1;
  std::string pid = std::to_string(::getpid()) + "\n";  // for a person looking; the lock is what counts
  bool ready = ::flock(fd, LOCK_EX | LOCK_NB) == 0 && ::write(fd, pid.data(), pid.size()) >= 0 &&
               ::rename(pending.c_str(), (folder + "/" + kOwnerFile).c_str()) == 0;
  if (!ready) {
    ::unlink(pending.c_str());
    ::close(fd);
    return -1;
  }
  return fd;
}

// Births and sweeps under $TMPDIR are ordered by a flock(2) on the folder itself: a birth (mkdtemp of a hidden
// name, the locked `.owner`, the rename) holds it shared, a sweep exclusively. So a sweep that holds it knows
// that a `.sockspec-birth-*` folder is no birth in progress: its maker was killed before the rename.
class BaseFolderLock {
 public:
  BaseFolderLock(const std::string& base, int operation) {
    m_fd = ::open(base.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (m_fd >= 0 && ::flock(m_fd, operation) != 0) {
      ::close(m_fd);
      m_fd = -1;
    }
  }
  ~BaseFolderLock() {
    if (m_fd >= 0) ::close(m_fd);  // and with it the lock
  }
  BaseFolderLock(const BaseFolderLock&) = delete;
  BaseFolderLock& operator=(const BaseFolderLock&) = delete;
  bool held() const { return m_fd >= 0; }

 private:
  int m_fd = -1;
};

// A folder is born under a hidden name and renamed to its own only once its locked `.owner` is in it: what a
// maker killed mid-birth leaves is always a `.sockspec-birth-*`, which nothing else makes.
constexpr const char* kBirthPrefix = ".sockspec-birth-";

}  // namespace

int TempDirectory::removeAbandoned(const std::string& base) {
  int removed = 0;
  std::vector<std::filesystem::path> unfinished;
  std::error_code error;
  // Bounded: one pass over the folder's entries.
  for (std::filesystem::directory_iterator it(base, error), end; !error && it != end; it.increment(error)) {
    std::string name = it->path().filename().string();
    if (name.rfind(kBirthPrefix, 0) == 0) unfinished.push_back(it->path());
    if (name.rfind("sockspec-", 0) != 0) continue;
    std::string owner = it->path().string() + "/" + kOwnerFile;
    int fd = ::open(owner.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) continue;  // no owner file (an older sockspec's, or not ours to read): left alone
    bool abandoned = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    if (abandoned) {
      std::error_code ignored;
      if (std::filesystem::remove_all(it->path(), ignored) > 0) ++removed;
    }
    ::close(fd);
  }
  if (!unfinished.empty()) {
    // Not waiting: a birth in progress holds the lock for microseconds, and the next sweep will do.
    BaseFolderLock sweeping(base, LOCK_EX | LOCK_NB);
    for (const auto& folder : unfinished) {
      std::error_code ignored;
      if (sweeping.held() && std::filesystem::remove_all(folder, ignored) > 0) {
        ++removed;
      }
    }
  }
  return removed;
}

std::string TempDirectory::baseFolder() {
  const char* tmpdir = std::getenv("TMPDIR");
  return tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
}

Expected<void, std::string> TempDirectory::checkUsable() {
  std::string folder = baseFolder();
  const char* tmpdir = std::getenv("TMPDIR");
  std::string shown = tmpdir != nullptr && *tmpdir != '\0' ? "TMPDIR " + folder : folder;
  if (auto usable = checkWritableFolder(folder, shown); !usable) return usable;
  // What the checks above cannot see (a full file system, a quota, a file system that refuses mkdir): try.
  auto probe = create("probe");
  if (probe) return {};
  return Unexpected{fmt::format("{}: cannot make sockspec's temporary folders there: {}", shown, probe.error())};
}

Expected<TempDirectory, std::string> TempDirectory::create(const std::string& stem, const std::string& parent) {
  std::filesystem::path base = parent;
  // A command that needs its folders checked the base first (checkUsable); the others make do with /tmp.
  if (base.empty()) base = checkWritableFolder(baseFolder(), "TMPDIR") ? baseFolder() : "/tmp";
  if (parent.empty()) {
    static std::once_flag swept;
    std::call_once(swept, [&] { (void)removeAbandoned(base.string()); });
  }
  if (!parent.empty()) {
    // A folder under `parent` is its owner's to remove, never swept: no birth name needed.
    std::string pattern = (base / ("sockspec-" + stem + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return Unexpected{fmt::format("{}: {}", pattern, SysError{errno, "mkdtemp"}.describe())};
    }
    return TempDirectory(pattern, lockOwnership(pattern));
  }
  BaseFolderLock birth(base.string(), LOCK_SH);
  // Bounded: a name taken between mkdtemp and the rename (RENAME_NOREPLACE: EEXIST) is tried afresh.
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::string born = (base / (kBirthPrefix + stem + "-XXXXXX")).string();
    if (::mkdtemp(born.data()) == nullptr) {
      return Unexpected{fmt::format("{}: {}", born, SysError{errno, "mkdtemp"}.describe())};
    }
    int lock = lockOwnership(born);
    std::string named = (base / ("sockspec-" + stem + born.substr(born.size() - 7))).string();  // "-XXXXXX"
    int renamed = ::renameat2(AT_FDCWD, born.c_str(), AT_FDCWD, named.c_str(), RENAME_NOREPLACE);
    if (renamed != 0 && errno == EINVAL) {
      // A file system without RENAME_NOREPLACE (rename(2)): a plain rename, after looking (rename would put
      // an empty folder of that name out of the way).
      struct stat taken {};
      renamed = ::lstat(named.c_str(), &taken) == 0 ? (errno = EEXIST, -1) : ::rename(born.c_str(), named.c_str());
    }
    if (renamed == 0) return TempDirectory(named, lock);
    int error = errno;
    if (lock >= 0) ::close(lock);
    std::error_code ignored;
    std::filesystem::remove_all(born, ignored);
    if (error != EEXIST) return Unexpected{fmt::format("{}: {}", named, SysError{error, "rename"}.describe())};
  }
  return Unexpected{fmt::format("{}: no free sockspec-{}-* name in 8 tries", base.string(), stem)};
}

TempDirectory& TempDirectory::operator=(TempDirectory&& other) noexcept {
  if (this != &other) {
    remove();
    m_path = std::exchange(other.m_path, {});
    m_ownerLock = std::exchange(other.m_ownerLock, -1);
  }
  return *this;
}

TempDirectory::~TempDirectory() { remove(); }

void TempDirectory::remove() noexcept {
  if (!m_path.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
    m_path.clear();
  }
  if (m_ownerLock >= 0) {
    ::close(m_ownerLock);
    m_ownerLock = -1;
  }
}

}  // namespace sockspec
