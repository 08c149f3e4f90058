// TempDirectory: the one owner of a private temporary folder (mkdtemp under $TMPDIR, /tmp when TMPDIR is not
// a folder), removed with everything in it when the owner goes. The runner makes one per scenario job in the
// parent process, which outlives the job's child; the target session one for the server's output and its
// --events log; `fuzz` one for its worker.
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
  TempDirectory(TempDirectory&& other) noexcept : m_path(std::exchange(other.m_path, {})) {}
  TempDirectory& operator=(TempDirectory&& other) noexcept;
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;
  ~TempDirectory();

  const std::string& path() const { return m_path; }

 private:
  explicit TempDirectory(std::string path) : m_path(std::move(path)) {}
  void remove() noexcept;
  std::string m_path;
};

}  // namespace sockspec
