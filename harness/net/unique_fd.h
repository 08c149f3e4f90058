// UniqueFd: the one owner of a file descriptor. Move-only; a moved-from UniqueFd holds -1.
#pragma once

#include <utility>

namespace sockspec::net {

class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : m_fd(fd) {}
  ~UniqueFd() { reset(); }

  UniqueFd(UniqueFd&& other) noexcept : m_fd(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const noexcept { return m_fd; }
  explicit operator bool() const noexcept { return m_fd >= 0; }

  // Gives up ownership without closing.
  [[nodiscard]] int release() noexcept { return std::exchange(m_fd, -1); }

  // Closes the held descriptor (ignoring close's result: the fd is gone either way, see close(2) NOTES)
  // and takes `fd` instead. Use net::closeSocket() where the result of close matters.
  void reset(int fd = -1) noexcept;

 private:
  int m_fd = -1;
};

}  // namespace sockspec::net
