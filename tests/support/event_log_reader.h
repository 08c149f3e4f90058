// Reading back an `--events` log (docs/events.md): one JSON object per line, either a socket call or a
// noted event. For the lifecycle tests that check which call came before which.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/deadline.h"

namespace sockspec::testing {

struct EventRecord {
  std::size_t line = 0;      // 1-based line in the file
  std::string program;
  std::int64_t pid = 0;
  std::int64_t tNs = 0;
  std::string call;          // empty for a noted event
  std::string event;         // "signal", "exit", ...; empty for a call
  std::string detail;
  int fd = -1;
  std::int64_t result = 0;
  std::string errnoName;     // empty when the call succeeded
  nlohmann::json args;

  // "line 7: accept fd 3 -> 5" / "line 9: event signal SIGTERM", for messages.
  std::string describe() const;
};

// Every record of the file at `path`. FAILs the test on a line that is not a JSON object with the
// documented fields (t_ns, pid, program, and either call/fd/args/result/errno or event/detail).
std::vector<EventRecord> readEventLog(const std::string& path);

// Re-reads the log at `path` until a record matches or the deadline passes (the writer is still running:
// only complete lines count). Returns the records read last and whether one matched.
struct LogWait {
  std::vector<EventRecord> records;
  bool matched = false;
};
LogWait waitForRecord(const std::string& path, const std::function<bool(const EventRecord&)>& matches,
                      Deadline deadline);

// The index of the first record at or after `from` that matches, or nullopt.
std::optional<std::size_t> findRecord(const std::vector<EventRecord>& records,
                                      const std::function<bool(const EventRecord&)>& matches, std::size_t from = 0);

// All records as lines, for INFO() when an order check fails.
std::string describeRecords(const std::vector<EventRecord>& records);

}  // namespace sockspec::testing
