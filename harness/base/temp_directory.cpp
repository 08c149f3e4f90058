#include "base/temp_directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include <fmt/format.h>

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

}  // namespace

int TempDirectory::removeAbandoned(const std::string& base) {
  int removed = 0;
  std::error_code error;
  // Bounded: one pass over the folder's entries.
  for (std::filesystem::directory_iterator it(base, error), end; !error && it != end; it.increment(error)) {
    std::string name = it->path().filename().string();
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
  return removed;
}

Expected<void, std::string> TempDirectory::checkUsable() {
  auto probe = create("probe");
  if (probe) return {};
  const char* variable = std::getenv("TMPDIR");
  return Unexpected{fmt::format("TMPDIR ({}): cannot make sockspec's temporary folders there: {}",
                                variable != nullptr ? variable : "unset, so /tmp", probe.error())};
}

Expected<TempDirectory, std::string> TempDirectory::create(const std::string& stem, const std::string& parent) {
  std::error_code error;
  std::filesystem::path base = parent;
  if (base.empty()) base = std::filesystem::temp_directory_path(error);
  if (error) base = "/tmp";
  if (parent.empty()) {
    static std::once_flag swept;
    std::call_once(swept, [&] { (void)removeAbandoned(base.string()); });
  }
  std::string pattern = (base / ("sockspec-" + stem + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return Unexpected{fmt::format("{}: {}", pattern, SysError{errno, "mkdtemp"}.describe())};
  }
  int lock = lockOwnership(pattern);
  return TempDirectory(pattern, lock);
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
