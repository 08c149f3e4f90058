#include "events/json_event_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include <nlohmann/json.hpp>

#include "base/errno_names.h"
#include "base/sys_error.h"

namespace sockspec::events {

namespace {

std::int64_t monotonicNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Expected<std::unique_ptr<JsonEventLog>, std::string> JsonEventLog::open(const std::string& path,
                                                                         std::string_view program) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_APPEND, 0644);
  if (fd < 0) return Unexpected{path + ": " + SysError{errno, "open"}.describe()};
  return std::unique_ptr<JsonEventLog>(new JsonEventLog(net::UniqueFd(fd), std::string(program)));
}

void JsonEventLog::onCall(const net::CallRecord& record) {
  nlohmann::json line;
  line["t_ns"] = monotonicNanos();
  line["pid"] = ::getpid();
  line["program"] = m_program;
  line["call"] = record.call;
  line["fd"] = record.fd;
  nlohmann::json arguments = nlohmann::json::object();
  for (const auto& argument : record.arguments) {
    std::visit([&](const auto& value) { arguments[std::string(argument.name)] = value; }, argument.value);
  }
  line["args"] = std::move(arguments);
  line["result"] = record.result;
  line["errno"] = record.errnoCode == 0 ? nlohmann::json(nullptr) : nlohmann::json(errnoName(record.errnoCode));
  // Replace invalid UTF-8 (a unix path may hold any bytes) instead of throwing.
  writeLine(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void JsonEventLog::note(std::string_view event, std::string_view detail) {
  nlohmann::json line;
  line["t_ns"] = monotonicNanos();
  line["pid"] = ::getpid();
  line["program"] = m_program;
  line["event"] = event;
  line["detail"] = detail;
  writeLine(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void JsonEventLog::writeLine(const std::string& text) {
  std::string line = text + '\n';
  std::lock_guard lock(m_mutex);
  // One write(2) per record with O_APPEND: a crash loses at most the record being written.
  std::size_t done = 0;
  for (int attempts = 0; done < line.size() && attempts < 64; ++attempts) {
    ssize_t n = ::write(m_fd.get(), line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // a full disk loses the record rather than stalling the server
    done += static_cast<std::size_t>(n);
  }
  ++m_lines;
}

}  // namespace sockspec::events
