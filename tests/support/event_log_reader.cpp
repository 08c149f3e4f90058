#include "support/event_log_reader.h"

#include <fstream>
#include <iterator>
#include <thread>

#include <catch2/catch.hpp>
#include <fmt/format.h>

namespace sockspec::testing {

std::string EventRecord::describe() const {
  if (!event.empty()) return fmt::format("line {}: {} event {} {}", line, program, event, detail);
  return fmt::format("line {}: {} {} fd {} -> {}{}{}", line, program, call, fd, result,
                     errnoName.empty() ? "" : " ", errnoName);
}

namespace {

EventRecord parseRecord(const std::string& path, std::size_t lineNumber, const std::string& text) {
  INFO(path << ":" << lineNumber << ": " << text);
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  REQUIRE(json.is_object());
  EventRecord record;
  record.line = lineNumber;
  REQUIRE(json.contains("t_ns"));
  REQUIRE(json.contains("pid"));
  REQUIRE(json.contains("program"));
  record.tNs = json["t_ns"].get<std::int64_t>();
  record.pid = json["pid"].get<std::int64_t>();
  record.program = json["program"].get<std::string>();
  if (json.contains("call")) {
    record.call = json["call"].get<std::string>();
    REQUIRE(json.contains("fd"));
    REQUIRE(json.contains("result"));
    REQUIRE(json.contains("errno"));
    REQUIRE(json.contains("args"));
    record.fd = json["fd"].get<int>();
    record.result = json["result"].get<std::int64_t>();
    if (!json["errno"].is_null()) record.errnoName = json["errno"].get<std::string>();
    record.args = json["args"];
  } else {
    REQUIRE(json.contains("event"));
    record.event = json["event"].get<std::string>();
    if (json.contains("detail")) {
      record.detail = json["detail"].is_string() ? json["detail"].get<std::string>() : json["detail"].dump();
    }
  }
  return record;
}

// The records of every complete line of the file (a line still being written has no '\n' yet).
std::vector<EventRecord> parseCompleteLines(const std::string& path, bool requireFile) {
  std::ifstream file(path);
  if (!file) {
    if (requireFile) FAIL("cannot open the event log " << path);
    return {};
  }
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::vector<EventRecord> records;
  std::size_t start = 0;
  std::size_t lineNumber = 0;
  for (auto newline = text.find('\n'); newline != std::string::npos; newline = text.find('\n', start)) {
    records.push_back(parseRecord(path, ++lineNumber, text.substr(start, newline - start)));
    start = newline + 1;
  }
  return records;
}

}  // namespace

std::vector<EventRecord> readEventLog(const std::string& path) {
  std::ifstream probe(path);
  std::string text((std::istreambuf_iterator<char>(probe)), std::istreambuf_iterator<char>());
  INFO("event log " << path);
  // A finished writer leaves whole lines only.
  if (!text.empty()) REQUIRE(text.back() == '\n');
  return parseCompleteLines(path, true);
}

LogWait waitForRecord(const std::string& path, const std::function<bool(const EventRecord&)>& matches,
                      Deadline deadline) {
  LogWait wait;
  for (;;) {
    wait.records = parseCompleteLines(path, false);
    wait.matched = findRecord(wait.records, matches).has_value();
    if (wait.matched || deadline.expired()) return wait;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::optional<std::size_t> findRecord(const std::vector<EventRecord>& records,
                                      const std::function<bool(const EventRecord&)>& matches, std::size_t from) {
  for (std::size_t i = from; i < records.size(); ++i) {
    if (matches(records[i])) return i;
  }
  return std::nullopt;
}

std::string describeRecords(const std::vector<EventRecord>& records) {
  std::string text;
  for (const auto& record : records) text += record.describe() + "\n";
  return text;
}

}  // namespace sockspec::testing
