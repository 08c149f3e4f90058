// TempDirectory: the one owner of a private temporary folder (mkdtemp under $TMPDIR; /tmp when TMPDIR is not
// a usable folder, unless the command refused that up front with checkUsable()), removed with everything in it
// when the owner goes. The runner makes one per scenario job in the parent process, which outlives the job's
// child; the target session one for the server's output and its --events log; `fuzz` one for its worker.
//
// A process killed outright (SIGKILL, a crash) removes nothing, so each folder holds an `.owner` file that
// its owner keeps locked (flock(2)) while it lives; the kernel drops the lock when the last process holding
// it ends. The first folder a process makes under $TMPDIR first removes every `sockspec-*` folder there
// whose `.owner` nobody locks any more: what an earlier killed run left. A folder is born under a hidden
// `.sockspec-birth-*` name and renamed to its own once its `.owner` is in place; a birth cut short by a kill
// is swept too (births hold a shared flock on $TMPDIR itself and the sweep an exclusive one, so it is never a
// birth in progress). Folders without an `.owner` (an older sockspec's, a test's) are left alone.
#pragma once

#include <string>
#include <utility>

#include "base/expected.h"

namespace sockspec {

class TempDirectory {
 public:
  // "<TMPDIR>/sockspec-<stem>-XXXXXX", or under `parent` when given (a folder its owner removes, such as a
  // scenario job's work directory). Fails with a message naming the path and errno.
  static Expected<TempDirectory, std::string> create(const std::string& stem, const std::string& parent = {});
  TempDirectory(TempDirectory&& other) noexcept
      : m_path(std::exchange(other.m_path, {})), m_ownerLock(std::exchange(other.m_ownerLock, -1)) {}
  TempDirectory& operator=(TempDirectory&& other) noexcept;
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;
  ~TempDirectory();

  const std::string& path() const { return m_path; }

  // Removes the `sockspec-*` folders under `base` whose owner has ended; returns how many. create() does it
  // once per process for $TMPDIR.
  static int removeAbandoned(const std::string& base);

  // Where create() makes folders: $TMPDIR when set and not empty, else /tmp.
  static std::string baseFolder();
  // Before any work, for a command that cannot do without its folders: the base is a folder in which a
  // folder can be made (one is made and removed again). Fails with one line naming TMPDIR (or "/tmp" when
  // it is not set), the folder and errno: "TMPDIR /x: stat: ENOENT (No such file or directory)", "TMPDIR
  // /f: not a folder (ENOTDIR)", "TMPDIR /ro: access: EROFS (Read-only file system)".
  static Expected<void, std::string> checkUsable();

 private:
  TempDirectory(std::string path, int ownerLock) : m_path(std::move(path)), m_ownerLock(ownerLock) {}
  void remove() noexcept;
  std::string m_path;
  int m_ownerLock = -1;  // the locked `.owner` file; -1 when it could not be made
};

}  // namespace sockspec
