#include "report/report_format.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>

#include "report/json_report.h"
#include "report/junit_report.h"
#include "report/tap_report.h"

namespace sockspec::report {

namespace {

// The temporary file beside the report, from mkostemp() until it is renamed into place: closed and removed
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
  const std::string& path() const { return m_path; }

  Result<void> writeAll(std::string_view text) {
    std::size_t done = 0;
    while (done < text.size()) {
      ssize_t n = ::write(m_fd, text.data() + done, text.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return lastError("write");
      if (n == 0) return failWith(EIO, "write");  // not expected of a regular file; never loop on it
      done += static_cast<std::size_t>(n);
    }
    return {};
  }

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

Expected<void, std::string> failureAt(std::string_view where, const SysError& error) {
  return Unexpected{fmt::format("{}: {}", where, error.describe())};
}

}  // namespace

Expected<ReportFormat, std::string> parseReportFormat(std::string_view name) {
  if (name == "json") return ReportFormat::Json;
  if (name == "junit") return ReportFormat::Junit;
  if (name == "tap") return ReportFormat::Tap;
  return Unexpected{fmt::format("unknown report format '{}' (expected json, junit or tap)", name)};
}

std::string_view reportFormatName(ReportFormat format) {
  switch (format) {
    case ReportFormat::Json: return "json";
    case ReportFormat::Junit: return "junit";
    case ReportFormat::Tap: return "tap";
  }
  return "?";
}

std::string renderReport(ReportFormat format, const RunResult& result) {
  switch (format) {
    case ReportFormat::Json: return renderJsonReport(result);
    case ReportFormat::Junit: return renderJunitReport(result);
    case ReportFormat::Tap: return renderTapReport(result);
  }
  return {};
}

Result<void> writeText(std::FILE* out, std::string_view text) {
  // stdio does not promise errno on a short fwrite; EIO stands in when it left none.
  errno = 0;
  if (std::fwrite(text.data(), 1, text.size(), out) != text.size())
    return failWith(errno ? errno : EIO, "write");
  if (std::fflush(out) != 0) return failWith(errno ? errno : EIO, "write");
  return {};
}

Expected<void, std::string> writeReport(ReportFormat format, const RunResult& result, std::FILE* out,
                                        std::string_view name) {
  auto written = writeText(out, renderReport(format, result));
  if (!written) return failureAt(name, written.error());
  return {};
}

Expected<void, std::string> writeReport(ReportFormat format, const RunResult& result,
                                        const std::string& path) {
  std::string text = renderReport(format, result);
  // Same directory, so that rename(2) stays within one file system and is atomic; a hidden name, so that a
  // file left by a power cut (never by an error: PendingFile removes it) does not look like a report.
  std::size_t slash = path.rfind('/');
  std::string directory = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string pattern = directory + "." + base + ".XXXXXX";
  int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) return failureAt(path, SysError{errno, "mkostemp"});
  PendingFile pending(fd, pattern);

  if (auto written = pending.writeAll(text); !written) return failureAt(path, written.error());
  // mkostemp() creates 0600; a report is meant to be read by others (CI, a web server).
  if (::fchmod(pending.fd(), 0644) != 0) return failureAt(path, SysError{errno, "fchmod"});
  // Without fsync a crash after the rename could leave the new name on an empty file.
  if (::fsync(pending.fd()) != 0) return failureAt(path, SysError{errno, "fsync"});
  if (auto closed = pending.close(); !closed) return failureAt(path, closed.error());
  if (auto renamed = pending.renameTo(path); !renamed) return failureAt(path, renamed.error());
  return {};
}

}  // namespace sockspec::report
