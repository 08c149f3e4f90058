// JsonEventLog: writes every socket-layer call as one JSON object per line (JSON Lines), the `--events FILE`
// of the reference targets, read back by the runner's lifecycle-order checks. Format: docs/events.md.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/expected.h"
#include "net/call_observer.h"
#include "net/unique_fd.h"

namespace sockspec::events {

class JsonEventLog final : public net::CallObserver {
 public:
  // Creates (truncates) `path`. Fails with "PATH: open: ENOENT (...)" style text.
  static Expected<std::unique_ptr<JsonEventLog>, std::string> open(const std::string& path,
                                                                   std::string_view program);

  void onCall(const net::CallRecord& record) override;

  // A non-socket event in the same stream, e.g. note("signal", "SIGTERM").
  void note(std::string_view event, std::string_view detail);

  std::uint64_t linesWritten() const { return m_lines; }

 private:
  JsonEventLog(net::UniqueFd fd, std::string program) : m_fd(std::move(fd)), m_program(std::move(program)) {}
  void writeLine(const std::string& line);

  std::mutex m_mutex;
  net::UniqueFd m_fd;
  std::string m_program;
  std::uint64_t m_lines = 0;
};

// Installs a log as the process's call observer for its lifetime.
class ScopedCallObserver {
 public:
  explicit ScopedCallObserver(net::CallObserver* observer) { net::setCallObserver(observer); }
  ~ScopedCallObserver() { net::setCallObserver(nullptr); }
  ScopedCallObserver(const ScopedCallObserver&) = delete;
  ScopedCallObserver& operator=(const ScopedCallObserver&) = delete;
};

}  // namespace sockspec::events
