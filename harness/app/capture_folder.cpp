#include "app/capture_folder.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include "base/deadline.h"
#include "base/sys_error.h"
#include "base/unnamed_file.h"
#include "process/child_process.h"

namespace sockspec::app {

namespace {

// The exit code of a probe that could not become the user: above any errno a probe passes back.
constexpr int kCouldNotSwitch = 255;

// probeWritableFolder() as `user`, in a child that gives up its privileges first, exactly as a job does
// (runner/privilege_drop.h): root may write where the user may not.
Result<void> probeWritableAs(const std::string& folder, const runner::RunAs& user) {
  auto child = process::ChildProcess::fork(
      [&]() {
        if (!runner::dropPrivileges(user)) return kCouldNotSwitch;
        auto probed = probeWritableFolder(folder);
        return probed ? 0 : probed.error().code;
      },
      "capture folder probe");
  if (!child) return failWith(EAGAIN, "fork");
  auto status = child->wait(Deadline::after(std::chrono::seconds(10)));
  if (!status) status = child->kill();
  if (status->exited && status->code == 0) return {};
  if (status->exited && status->code != kCouldNotSwitch) return failWith(status->code, "open");
  return failWith(EPERM, "setuid");
}

}  // namespace

void CaptureFolder::removeIfUnused() const {
  if (made) ::rmdir(path.c_str());  // fails with ENOTEMPTY once anything is in it: then it stays
}

Expected<CaptureFolder, std::string> prepareCaptureFolder(const std::string& directory,
                                                          const std::optional<runner::RunAs>& writer) {
  CaptureFolder folder;
  std::error_code error;
  folder.path = std::filesystem::absolute(directory, error).string();
  if (error) return Unexpected{fmt::format("--capture {}: {}", directory, error.message())};
  if (::mkdir(directory.c_str(), 0755) == 0) {
    folder.made = true;
    // Made for whoever writes the pcaps: a job that switched to --user publishes them there.
    if (writer && ::chown(directory.c_str(), writer->uid, writer->gid) != 0) {
      int chownError = errno;
      folder.removeIfUnused();
      errno = chownError;
      return Unexpected{fmt::format("--capture {}: {}", directory, SysError{errno, "chown"}.describe())};
    }
  } else if (errno != EEXIST) {
    return Unexpected{fmt::format("--capture {}: {}", directory, SysError{errno, "mkdir"}.describe())};
  }
  auto writable = writer ? probeWritableAs(directory, *writer) : probeWritableFolder(directory);
  if (!writable) {
    folder.removeIfUnused();
    return Unexpected{fmt::format("--capture {}: not writable{}: {}", directory,
                                  writer ? " by user " + writer->name : "", writable.error().describe())};
  }
  return folder;
}

}  // namespace sockspec::app
