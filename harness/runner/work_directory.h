// WorkDirectory: a private temporary folder (mkdtemp under $TMPDIR) removed with everything in it when the
// owner goes. The runner makes one per scenario job in the parent process, which outlives the job's child.
#pragma once

#include <string>

#include "base/expected.h"

namespace sockspec::runner {

class WorkDirectory {
 public:
  // "<TMPDIR>/sockspec-<stem>-XXXXXX". Fails with a message naming the path and errno.
  static Expected<WorkDirectory, std::string> create(const std::string& stem);
  WorkDirectory(WorkDirectory&& other) noexcept : m_path(std::exchange(other.m_path, {})) {}
  WorkDirectory& operator=(WorkDirectory&& other) noexcept;
  WorkDirectory(const WorkDirectory&) = delete;
  WorkDirectory& operator=(const WorkDirectory&) = delete;
  ~WorkDirectory();

  const std::string& path() const { return m_path; }

 private:
  explicit WorkDirectory(std::string path) : m_path(std::move(path)) {}
  void remove() noexcept;
  std::string m_path;
};

}  // namespace sockspec::runner
