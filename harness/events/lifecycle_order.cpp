#include "events/lifecycle_order.h"

#include <map>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sockspec::events {

namespace {

enum class Phase { Created, Bound, Listening, Connecting, Connected };

struct Life {
  Phase phase = Phase::Created;
  std::size_t since = 0;  // the line that opened it
  bool datagram = false;
};

struct ClosedAt {
  std::size_t line = 0;
};

std::string_view phaseName(Phase phase) {
  switch (phase) {
    case Phase::Created: return "created";
    case Phase::Bound: return "bound";
    case Phase::Listening: return "listening";
    case Phase::Connecting: return "connecting";
    case Phase::Connected: return "connected";
  }
  return "?";
}

class OrderChecker {
 public:
  OrderChecker(OrderReport& report, std::size_t limit) : m_report(report), m_limit(limit) {}

  void onCall(std::size_t line, std::int64_t pid, const std::string& call, int fd, std::int64_t result,
              const nlohmann::json& args) {
    ++m_report.calls;
    auto key = std::make_pair(pid, fd);
    bool ok = result >= 0;
    if (call == "socket") {
      if (ok) open(pid, static_cast<int>(result), line, args.value("type", "") == "SOCK_DGRAM");
      return;
    }
    auto found = m_open.find(key);
    if (found == m_open.end()) {
      auto closed = m_closed.find(key);
      std::string why = closed != m_closed.end() ? fmt::format("after its close (line {})", closed->second.line)
                                                 : std::string("on a descriptor no socket or accept call opened");
      // connect() through the harness may run on a socket opened outside the log (a connectEndpoint
      // helper opens with logging too, so anything unknown is a real gap in the order).
      violate(line, fmt::format("{} on fd {} {}", call, fd, why));
      return;
    }
    Life& life = found->second;
    if (call == "close") {
      m_closed[key] = ClosedAt{line};
      m_open.erase(found);
      return;
    }
    if (!ok) return;  // a failed call changes nothing; its errno is the program's business
    if (call == "bind") {
      if (life.phase != Phase::Created) violate(line, fmt::format("bind on fd {} that is already {}", fd, phaseName(life.phase)));
      life.phase = Phase::Bound;
    } else if (call == "listen") {
      if (life.phase == Phase::Connected || life.phase == Phase::Connecting) {
        violate(line, fmt::format("listen on fd {} that is {}", fd, phaseName(life.phase)));
      }
      life.phase = Phase::Listening;
    } else if (call == "accept") {
      if (life.phase != Phase::Listening) {
        violate(line, fmt::format("accept on fd {} that is {}, not listening", fd, phaseName(life.phase)));
      }
      open(pid, static_cast<int>(result), line, false);
      m_open[std::make_pair(pid, static_cast<int>(result))].phase = Phase::Connected;
    } else if (call == "connect") {
      if (life.phase == Phase::Listening) violate(line, fmt::format("connect on listening fd {}", fd));
      life.phase = Phase::Connected;
    } else if (call == "send" || call == "recv" || call == "shutdown") {
      if (life.phase == Phase::Listening) {
        violate(line, fmt::format("{} on listening fd {}", call, fd));
      } else if (!life.datagram && life.phase != Phase::Connected) {
        violate(line, fmt::format("{} on fd {} that is {}, not connected", call, fd, phaseName(life.phase)));
      }
    }
  }

  void unreadable(std::size_t line, std::string message) {
    if (m_report.unreadable.size() < m_limit) m_report.unreadable.push_back({line, std::move(message)});
  }

 private:
  void open(std::int64_t pid, int fd, std::size_t line, bool datagram) {
    auto key = std::make_pair(pid, fd);
    m_closed.erase(key);
    m_open[key] = Life{Phase::Created, line, datagram};
  }
  void violate(std::size_t line, std::string message) {
    if (m_report.violations.size() < m_limit) m_report.violations.push_back({line, std::move(message)});
  }

  OrderReport& m_report;
  std::size_t m_limit;
  std::map<std::pair<std::int64_t, int>, Life> m_open;
  std::map<std::pair<std::int64_t, int>, ClosedAt> m_closed;
};

}  // namespace

OrderReport checkLifecycleOrder(std::istream& log, std::size_t maxViolations) {
  OrderReport report;
  OrderChecker checker(report, maxViolations);
  std::string text;
  std::size_t line = 0;
  // Bounded by the log's length.
  while (std::getline(log, text)) {
    ++line;
    if (text.empty()) continue;
    auto record = nlohmann::json::parse(text, nullptr, false);
    if (record.is_discarded() || !record.is_object()) {
      checker.unreadable(line, "not a JSON object");
      continue;
    }
    if (record.contains("event")) continue;  // a note, not a call
    const auto& call = record["call"];
    const auto& fd = record["fd"];
    const auto& result = record["result"];
    const auto& pid = record["pid"];
    if (!call.is_string() || !fd.is_number_integer() || !result.is_number_integer() || !pid.is_number_integer()) {
      checker.unreadable(line, "a call record needs string 'call' and integer 'fd', 'result' and 'pid'");
      continue;
    }
    const auto& args = record.contains("args") && record["args"].is_object() ? record["args"] : nlohmann::json::object();
    checker.onCall(line, pid.get<std::int64_t>(), call.get<std::string>(), fd.get<int>(), result.get<std::int64_t>(),
                   args);
  }
  return report;
}

std::optional<std::string> describeOutOfOrder(const OrderReport& report) {
  if (report.violations.empty()) return std::nullopt;
  return fmt::format("{} of {} calls out of order; first: {}", report.violations.size(), report.calls,
                     report.violations.front().message);
}

}  // namespace sockspec::events
