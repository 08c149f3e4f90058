#include "reply_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "base/display_escape.h"

namespace sockspec::client {

namespace {
constexpr std::size_t kFlushAt = std::size_t{64} * 1024;
}

Expected<ReplySink, std::string> ReplySink::open(const std::string& path, bool quiet) {
  if (path.empty() || path == "-") return ReplySink(net::UniqueFd(), STDOUT_FILENO, "<stdout>", quiet);
  net::UniqueFd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!file) {
    const SysError error{errno, "open"};
    return Unexpected{escapeForDisplay(path) + ": " + error.describe()};
  }
  const int fd = file.get();
  return ReplySink(std::move(file), fd, path, quiet);
}

ReplySink::ReplySink(ReplySink&& other) noexcept
    : m_owned(std::move(other.m_owned)),
      m_fd(std::exchange(other.m_fd, -1)),
      m_name(std::move(other.m_name)),
      m_quiet(other.m_quiet),
      m_buffer(std::exchange(other.m_buffer, {})),
      m_error(other.m_error) {}

ReplySink::~ReplySink() {
  // Normally flushed by its owner, which reports the error; this only keeps bytes from being lost silently.
  if (!m_buffer.empty() && m_fd >= 0) writeOut();
}

void ReplySink::write(std::string_view bytes) {
  if (m_quiet || m_error) return;
  m_buffer.append(bytes);
  if (m_buffer.size() >= kFlushAt) writeOut();
}

void ReplySink::writeLine(std::string_view line) {
  if (m_quiet || m_error) return;
  m_buffer.append(line);
  m_buffer += '\n';
  if (m_buffer.size() >= kFlushAt) writeOut();
}

Result<void> ReplySink::flush() {
  if (!m_buffer.empty()) writeOut();
  if (m_error) return Unexpected{*m_error};
  return {};
}

void ReplySink::writeOut() {
  std::size_t done = 0;
  while (done < m_buffer.size() && !m_error) {
    const ssize_t n = ::write(m_fd, m_buffer.data() + done, m_buffer.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      m_error = SysError{errno, "write"};
    } else {
      done += static_cast<std::size_t>(n);
    }
  }
  m_buffer.clear();
}

}  // namespace sockspec::client
