// ReplySink: where sockspec-client writes what the server sent (--output, standard output by default).
// Buffered, so that one-byte reads do not become one-byte writes; --quiet turns it into a sink that keeps
// nothing. A failed write is remembered and reported once, at the end, rather than by every caller.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/expected.h"
#include "base/sys_error.h"
#include "net/unique_fd.h"

namespace sockspec::client {

class ReplySink {
 public:
  // Opens (creates, truncates) `path`; empty or "-" is standard output. Fails with
  // "PATH: open: EACCES (Permission denied)".
  static Expected<ReplySink, std::string> open(const std::string& path, bool quiet);

  ReplySink(ReplySink&& other) noexcept;
  ReplySink& operator=(ReplySink&&) = delete;
  ReplySink(const ReplySink&) = delete;
  ReplySink& operator=(const ReplySink&) = delete;
  ~ReplySink();

  const std::string& name() const { return m_name; }  // the path, or "<stdout>"

  void write(std::string_view bytes);
  void writeLine(std::string_view line);
  // Writes out what is buffered; returns the first write error of the sink's life, if any.
  Result<void> flush();

 private:
  ReplySink(net::UniqueFd owned, int fd, std::string name, bool quiet)
      : m_owned(std::move(owned)), m_fd(fd), m_name(std::move(name)), m_quiet(quiet) {}
  void writeOut();

  net::UniqueFd m_owned;  // the --output file; empty for standard output, which is not ours to close
  int m_fd = -1;
  std::string m_name;
  bool m_quiet = false;
  std::string m_buffer;
  std::optional<SysError> m_error;
};

}  // namespace sockspec::client
