#include "base/temp_directory.h"

#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "base/sys_error.h"

namespace sockspec {

Expected<TempDirectory, std::string> TempDirectory::create(const std::string& stem, const std::string& parent) {
  std::error_code error;
  std::filesystem::path base = parent;
  if (base.empty()) base = std::filesystem::temp_directory_path(error);
  if (error) base = "/tmp";
  std::string pattern = (base / ("sockspec-" + stem + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return Unexpected{fmt::format("{}: {}", pattern, SysError{errno, "mkdtemp"}.describe())};
  }
  return TempDirectory(pattern);
}

TempDirectory& TempDirectory::operator=(TempDirectory&& other) noexcept {
  if (this != &other) {
    remove();
    m_path = std::exchange(other.m_path, {});
  }
  return *this;
}

TempDirectory::~TempDirectory() { remove(); }

void TempDirectory::remove() noexcept {
  if (m_path.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(m_path, ignored);
  m_path.clear();
}

}  // namespace sockspec
