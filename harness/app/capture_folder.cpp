#include "app/capture_folder.h"

#include <cerrno>
#include <chrono>

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

Expected<OutputFolder, std::string> prepareCaptureFolder(const std::string& directory,
                                                         const std::optional<runner::RunAs>& writer) {
  auto folder = OutputFolder::check("--capture", directory);
  if (!folder) return Unexpected{folder.error()};
  // Made for whoever writes the pcaps: a job that switched to --user publishes them there.
  std::optional<OutputFolder::Owner> owner;
  if (writer) owner = OutputFolder::Owner{writer->uid, writer->gid};
  if (auto made = folder->make(owner); !made) return Unexpected{made.error()};
  auto writable = writer ? probeWritableAs(folder->path(), *writer) : probeWritableFolder(folder->path());
  if (!writable) {
    folder->removeIfUnused();
    return Unexpected{fmt::format("--capture {}: not writable{}: {}", directory,
                                  writer ? " by user " + writer->name : "", writable.error().describe())};
  }
  return folder;
}

}  // namespace sockspec::app
