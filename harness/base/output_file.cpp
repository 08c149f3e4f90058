#include "base/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "base/file_bytes.h"
#include "base/sys_error.h"

namespace sockspec {

namespace {

Unexpected<std::string> failureAt(std::string_view where, const SysError& error) {
  return Unexpected{fmt::format("{}: {}", where, error.describe())};
}

// The temporary file beside the output, from mkostemp() until it is renamed into place: closed and removed
// on every other way out.
class PendingFile {
 public:
  PendingFile(int fd, std::string path) : m_fd(fd), m_path(std::move(path)) {}
  ~PendingFile() {
    if (m_fd >= 0) ::close(m_fd);
    if (!m_renamed) ::unlink(m_path.c_str());
  }
  PendingFile(const PendingFile&) = delete;
  PendingFile& operator=(const PendingFile&) = delete;

  int fd() const { return m_fd; }

  // close(2) can report a deferred write error (NFS, a full quota), so it is checked, not left to the
  // destructor.
  Result<void> close() {
    int fd = m_fd;
    m_fd = -1;
    if (::close(fd) != 0) return lastError("close");
    return {};
  }

  Result<void> renameTo(const std::string& target) {
    if (::rename(m_path.c_str(), target.c_str()) != 0) return lastError("rename");
    m_renamed = true;
    return {};
  }

 private:
  int m_fd = -1;
  std::string m_path;
  bool m_renamed = false;
};

// Temporary file, fsync, rename: `target` is a regular file or a new name.
Expected<void, std::string> replaceAtomically(const std::string& shown, const std::string& target, std::string_view text) {
  // Same directory, so that rename(2) stays within one file system and is atomic; a hidden name, so that a
  // file left by a power cut (never by an error: PendingFile removes it) does not look like a result.
  std::size_t slash = target.rfind('/');
  std::string directory = slash == std::string::npos ? "" : target.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? target : target.substr(slash + 1);
  std::string pattern = directory + "." + base + ".XXXXXX";
  int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) return failureAt(shown, SysError{errno, "mkostemp"});
  PendingFile pending(fd, pattern);
  if (auto written = writeAllBytes(pending.fd(), text); !written) return failureAt(shown, written.error());
  // mkostemp() creates 0600; a result is meant to be read by others (CI, a web server).
  if (::fchmod(pending.fd(), 0644) != 0) return failureAt(shown, SysError{errno, "fchmod"});
  // Without fsync a crash after the rename could leave the new name on an empty file.
  if (::fsync(pending.fd()) != 0) return failureAt(shown, SysError{errno, "fsync"});
  if (auto closed = pending.close(); !closed) return failureAt(shown, closed.error());
  if (auto renamed = pending.renameTo(target); !renamed) return failureAt(shown, renamed.error());
  return {};
}

// A FIFO is opened without waiting for a reader (O_NONBLOCK: ENXIO when there is none, fifo(7)), then
// written blocking.
Expected<int, std::string> openInPlace(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENXIO) return Unexpected{fmt::format("{}: a FIFO with no reader ({})", path, SysError{ENXIO, "open"}.describe())};
    return failureAt(path, SysError{errno, "open"});
  }
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) (void)::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return fd;
}

}  // namespace

Expected<void, std::string> checkOutputPath(const std::string& path) {
  if (path.empty()) return Unexpected{std::string("an empty file name")};
  struct stat status {};
  if (::stat(path.c_str(), &status) == 0) {
    if (S_ISDIR(status.st_mode)) return Unexpected{fmt::format("{}: is a directory", path)};
    if (S_ISFIFO(status.st_mode)) {
      auto fd = openInPlace(path);
      if (!fd) return Unexpected{fd.error()};
      ::close(*fd);
    }
    return {};
  }
  if (errno != ENOENT) return failureAt(path, SysError{errno, "stat"});
  // A new name (a dangling link's folder is the link's).
  return checkParentFolder(path);
}

Expected<void, std::string> checkParentFolder(const std::string& path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) parent = ".";
  struct stat status {};
  if (::stat(parent.c_str(), &status) != 0) {
    if (errno == ENOENT)
      return Unexpected{fmt::format("{}: the folder {} does not exist (ENOENT)", path, parent.string())};
    return failureAt(path, SysError{errno, "stat"});
  }
  if (!S_ISDIR(status.st_mode)) {
    return Unexpected{fmt::format("{}: {} is not a folder (ENOTDIR)", path, parent.string())};
  }
  return {};
}

Expected<void, std::string> checkWritableFolder(const std::string& path, const std::string& shown) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return failureAt(shown, SysError{errno, "stat"});
  if (!S_ISDIR(status.st_mode)) return Unexpected{fmt::format("{}: not a folder (ENOTDIR)", shown)};
  // W_OK also reports a read-only file system (EROFS), which root's permissions do not get past.
  if (::access(path.c_str(), W_OK | X_OK) != 0) return failureAt(shown, SysError{errno, "access"});
  return {};
}

Expected<void, std::string> writeOutputFile(const std::string& path, std::string_view text) {
  struct stat link {};
  if (::lstat(path.c_str(), &link) != 0) {
    if (errno != ENOENT) return failureAt(path, SysError{errno, "lstat"});
    return replaceAtomically(path, path, text);
  }
  if (S_ISREG(link.st_mode)) return replaceAtomically(path, path, text);
  if (S_ISLNK(link.st_mode)) {
    // The file the link names, replaced there (a link to a device or FIFO is written in place below).
    std::error_code error;
    std::filesystem::path target = std::filesystem::weakly_canonical(path, error);
    if (error) return Unexpected{fmt::format("{}: {}", path, error.message())};
    struct stat status {};
    bool exists = ::stat(target.c_str(), &status) == 0;
    if (!exists && errno != ENOENT) return failureAt(path, SysError{errno, "stat"});
    if (!exists || S_ISREG(status.st_mode)) return replaceAtomically(path, target.string(), text);
  }
  if (S_ISDIR(link.st_mode)) return Unexpected{fmt::format("{}: is a directory", path)};
  auto fd = openInPlace(path);
  if (!fd) return Unexpected{fd.error()};
  auto written = writeAllBytes(*fd, text);
  bool closed = ::close(*fd) == 0;
  if (!written) return failureAt(path, written.error());
  if (!closed) return failureAt(path, SysError{errno, "close"});
  return {};
}

}  // namespace sockspec
