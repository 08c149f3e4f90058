// UnnamedFile: a file that is written with no name and named only once it is whole, so that its name never
// shows a part of it, whenever the writer dies. It is an O_TMPFILE in the folder of its final name (open(2):
// the kernel frees it when the last descriptor goes, so a SIGKILL leaves nothing), named by publish().
// Where the file system has no O_TMPFILE (open(2) says EOPNOTSUPP, or EISDIR on kernels before 3.11), it is a
// hidden ".NAME.XXXXXX" beside the final name instead, removed on every way out but a kill.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/expected.h"
#include "base/sys_error.h"

namespace sockspec {

class UnnamedFile {
 public:
  // An unnamed file to become `path`. Fails when `path` is there and is not a regular file ("PATH: a FIFO;
  // not replaced"), or with the call and errno ("PATH: open: EROFS (Read-only file system)").
  static Expected<UnnamedFile, std::string> create(const std::string& path, mode_t mode = 0644);

  UnnamedFile(UnnamedFile&& other) noexcept;
  UnnamedFile& operator=(UnnamedFile&& other) noexcept;
  UnnamedFile(const UnnamedFile&) = delete;
  UnnamedFile& operator=(const UnnamedFile&) = delete;
  ~UnnamedFile();  // closes it; unless published, it is gone

  int fd() const { return m_fd; }
  const std::string& path() const { return m_path; }

  // fsync(2), then the name: linked (linkat through /proc/self/fd, which needs no capability, unlike
  // AT_EMPTY_PATH) at `path` when nothing is there, else under a hidden name renamed over the regular file
  // that is. The descriptor stays open. Fails naming the path and the call: "PATH: fsync: ENOSPC (...)",
  // "PATH: a symbolic link; not replaced".
  Expected<void, std::string> publish();

 private:
  UnnamedFile(int fd, std::string path, std::string hiddenPath)
      : m_fd(fd), m_path(std::move(path)), m_hiddenPath(std::move(hiddenPath)) {}
  void close();

  int m_fd = -1;
  std::string m_path;
  std::string m_hiddenPath;  // the fallback's visible-but-hidden file; "" for an O_TMPFILE
  bool m_published = false;
};

// Whether files can be made in `folder`: an unnamed file is created there and dropped (nothing is left).
// Fails with the call and errno: open: EROFS, EACCES, ENOENT, ENOTDIR, ELOOP.
Result<void> probeWritableFolder(const std::string& folder);

}  // namespace sockspec
