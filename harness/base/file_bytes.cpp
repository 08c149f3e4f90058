#include "base/file_bytes.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>

namespace sockspec {

namespace {
// base sits below net (net::UniqueFd); this is the one descriptor base opens.
struct ClosesOnExit {
  int fd;
  ~ClosesOnExit() { ::close(fd); }
};
}  // namespace

Result<std::string> readFileBytes(const std::string& path, std::size_t maxBytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return lastError("open");
  ClosesOnExit closes{fd};
  std::string bytes;
  std::array<char, 65536> chunk;
  // Bounded: stops at EOF, an error, or one byte past maxBytes.
  while (bytes.size() <= maxBytes) {
    std::size_t wanted = std::min(chunk.size(), maxBytes + 1 - bytes.size());
    ssize_t n = ::read(fd, chunk.data(), wanted);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return lastError("read");
    if (n == 0) break;
    bytes.append(chunk.data(), static_cast<std::size_t>(n));
  }
  return bytes;
}

Result<void> writeAllBytes(int fd, std::string_view bytes) {
  std::size_t done = 0;
  // Bounded: every pass writes something or returns.
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return lastError("write");
    if (n == 0) return Unexpected{SysError{EIO, "write"}};
    done += static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace sockspec
