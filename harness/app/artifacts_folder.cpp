#include "app/artifacts_folder.h"

#include <unistd.h>

#include <fmt/format.h>

namespace sockspec::app {

namespace fs = std::filesystem;

Expected<ArtifactsFolder, std::string> ArtifactsFolder::check(const std::string& given) {
  auto refused = [&](const std::string& why) { return Unexpected{fmt::format("--artifacts {}: {}", given, why)}; };
  std::error_code error;
  fs::path absolute = fs::absolute(given, error);
  if (error) return refused(error.message());
  ArtifactsFolder folder;
  folder.m_given = given;
  folder.m_path = absolute.lexically_normal();
  if (!folder.m_path.has_filename()) folder.m_path = folder.m_path.parent_path();  // "dir/"
  fs::path existing = folder.m_path;
  // Bounded: one step up per component of the path.
  while (!fs::exists(existing, error)) {
    if (error && error != std::errc::no_such_file_or_directory) return refused(error.message());
    folder.m_made = existing;
    existing = existing.parent_path();
  }
  if (error) return refused(error.message());
  if (!fs::is_directory(existing, error)) return refused(existing.string() + " is not a directory");
  if (::access(existing.c_str(), W_OK) != 0) return refused(existing.string() + " is not writable");
  return folder;
}

Expected<void, std::string> ArtifactsFolder::make() const {
  std::error_code error;
  fs::create_directories(m_path, error);
  if (error) return Unexpected{fmt::format("--artifacts {}: {}", m_given, error.message())};
  return {};
}

void ArtifactsFolder::removeMade() const {
  if (m_made.empty()) return;
  std::error_code ignored;
  // Bounded: one step up per component below m_made; fs::remove fails, and stops this, on a folder that is
  // not empty.
  for (fs::path folder = m_path; !folder.empty(); folder = folder.parent_path()) {
    if (!fs::remove(folder, ignored) || folder == m_made) break;
  }
}

}  // namespace sockspec::app
