#include "base/unnamed_file.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <utility>

#include <fmt/format.h>

namespace sockspec {

namespace {

Unexpected<std::string> failureAt(const std::string& path, const SysError& error) {
  return Unexpected{fmt::format("{}: {}", path, error.describe())};
}

std::string folderOf(const std::string& path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// ".NAME." beside `path`: hidden, so that a file left by a kill between two calls does not look like one.
std::string hiddenPrefix(const std::string& path) {
  std::size_t slash = path.rfind('/');
  std::string folder = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return folder + "." + base + ".";
}

// What is at `path` when it must not be replaced; nullopt when it is nothing or a regular file.
Expected<void, std::string> refuseNonRegular(const std::string& path) {
  struct stat status {};
  if (::lstat(path.c_str(), &status) != 0) {
    if (errno == ENOENT) return {};
    return failureAt(path, SysError{errno, "lstat"});
  }
  const char* kind = S_ISREG(status.st_mode)    ? nullptr
                     : S_ISLNK(status.st_mode)  ? "a symbolic link"
                     : S_ISDIR(status.st_mode)  ? "a directory"
                     : S_ISFIFO(status.st_mode) ? "a FIFO"
                     : S_ISSOCK(status.st_mode) ? "a socket"
                                                : "a device";
  if (kind == nullptr) return {};
  return Unexpected{fmt::format("{}: {}; not replaced", path, kind)};
}

// open(2): O_TMPFILE is refused with EOPNOTSUPP by a file system without it, and with EISDIR by a kernel
// that does not know the flag (it then reads as O_DIRECTORY).
bool lacksTmpfile(int error) {
  return error == EOPNOTSUPP || error == EISDIR;
}

// Six random letters and digits for a hidden name (not a secret: O_EXCL and linkat's EEXIST keep it safe).
std::string randomSuffix() {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  unsigned char bytes[6] = {};
  if (::getrandom(bytes, sizeof(bytes), 0) != static_cast<ssize_t>(sizeof(bytes))) {
    for (auto& byte : bytes) byte = static_cast<unsigned char>(std::rand());
  }
  std::string suffix;
  for (unsigned char byte : bytes) suffix += kAlphabet[byte % (sizeof(kAlphabet) - 1)];
  return suffix;
}

}  // namespace

Expected<UnnamedFile, std::string> UnnamedFile::create(const std::string& path, mode_t mode) {
  if (auto refused = refuseNonRegular(path); !refused) return Unexpected{refused.error()};
  int fd = ::open(folderOf(path).c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
  if (fd >= 0) return UnnamedFile(fd, path, "");
  if (!lacksTmpfile(errno)) return failureAt(path, SysError{errno, "open"});
  std::string hidden = hiddenPrefix(path) + "XXXXXX";
  fd = ::mkostemp(hidden.data(), O_CLOEXEC);
  if (fd < 0) return failureAt(path, SysError{errno, "mkostemp"});
  UnnamedFile file(fd, path, hidden);
  // mkostemp() makes 0600; the O_TMPFILE path gets `mode` (less the umask) from open().
  mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd, mode & ~mask) != 0) return failureAt(path, SysError{errno, "fchmod"});
  return file;
}

UnnamedFile::UnnamedFile(UnnamedFile&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)),
      m_path(std::move(other.m_path)),
      m_hiddenPath(std::exchange(other.m_hiddenPath, std::string())),
      m_published(other.m_published) {}

UnnamedFile& UnnamedFile::operator=(UnnamedFile&& other) noexcept {
  if (this != &other) {
    close();
    m_fd = std::exchange(other.m_fd, -1);
    m_path = std::move(other.m_path);
    m_hiddenPath = std::exchange(other.m_hiddenPath, std::string());
    m_published = other.m_published;
  }
  return *this;
}

UnnamedFile::~UnnamedFile() {
  close();
}

void UnnamedFile::close() {
  if (m_fd >= 0) ::close(m_fd);
  m_fd = -1;
  if (!m_published && !m_hiddenPath.empty()) ::unlink(m_hiddenPath.c_str());
  m_hiddenPath.clear();
}

Expected<void, std::string> UnnamedFile::publish() {
  if (m_fd < 0 || m_published) return {};
  // Without fsync, a crash after the name is given could leave the name on an empty file.
  if (::fsync(m_fd) != 0) return failureAt(m_path, SysError{errno, "fsync"});
  if (auto refused = refuseNonRegular(m_path); !refused) return Unexpected{refused.error()};
  if (!m_hiddenPath.empty()) {
    if (::rename(m_hiddenPath.c_str(), m_path.c_str()) != 0)
      return failureAt(m_path, SysError{errno, "rename"});
    m_published = true;
    return {};
  }
  std::string self = fmt::format("/proc/self/fd/{}", m_fd);
  // A new name at once: nothing is replaced, and no hidden name is ever seen.
  if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, m_path.c_str(), AT_SYMLINK_FOLLOW) == 0) {
    m_published = true;
    return {};
  }
  if (errno != EEXIST) return failureAt(m_path, SysError{errno, "linkat"});
  // An earlier file is there: linked under a hidden name, then renamed over it in one step (rename(2)).
  std::string prefix = hiddenPrefix(m_path);
  // Bounded: a few tries at names nobody else took.
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string hidden = prefix + randomSuffix();
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, hidden.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      if (errno == EEXIST) continue;
      return failureAt(m_path, SysError{errno, "linkat"});
    }
    if (::rename(hidden.c_str(), m_path.c_str()) != 0) {
      int error = errno;
      ::unlink(hidden.c_str());
      return failureAt(m_path, SysError{error, "rename"});
    }
    m_published = true;
    return {};
  }
  return failureAt(m_path, SysError{EEXIST, "linkat"});
}

Result<void> probeWritableFolder(const std::string& folder) {
  int fd = ::open(folder.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) {
    ::close(fd);
    return {};
  }
  if (!lacksTmpfile(errno)) return lastError("open");
  std::string hidden = folder + "/.sockspec-probe.XXXXXX";
  fd = ::mkostemp(hidden.data(), O_CLOEXEC);
  if (fd < 0) return lastError("mkostemp");
  ::close(fd);
  ::unlink(hidden.c_str());
  return {};
}

}  // namespace sockspec
