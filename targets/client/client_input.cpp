#include "client_input.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include "base/display_escape.h"
#include "base/sys_error.h"
#include "net/unique_fd.h"

namespace sockspec::client {

namespace {

Expected<ClientInput, std::string> readAll(int fd, std::string name) {
  ClientInput input{std::move(name), {}};
  std::array<char, 65536> block{};
  for (;;) {
    const ssize_t n = ::read(fd, block.data(), block.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const SysError error{errno, "read"};
      return Unexpected{escapeForDisplay(input.name) + ": " + error.describe()};
    }
    if (n == 0) return input;
    input.bytes.append(block.data(), static_cast<std::size_t>(n));
  }
}

}  // namespace

Expected<ClientInput, std::string> readInputFile(const std::string& path) {
  if (path == "-") return readAll(STDIN_FILENO, "<stdin>");
  net::UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) {
    const SysError error{errno, "open"};
    return Unexpected{escapeForDisplay(path) + ": " + error.describe()};
  }
  return readAll(file.get(), path);
}

}  // namespace sockspec::client
