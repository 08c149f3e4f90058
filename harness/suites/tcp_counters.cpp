#include "suites/tcp_counters.h"

#include <fmt/format.h>

#include <charconv>
#include <vector>

#include "base/file_bytes.h"

namespace sockspec::suites {

namespace {

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t at = 0;
  // Bounded: each turn consumes at least one byte of the line.
  while (at < line.size()) {
    while (at < line.size() && line[at] == ' ') ++at;
    std::size_t end = line.find(' ', at);
    if (end == std::string_view::npos) end = line.size();
    if (end > at) out.push_back(line.substr(at, end - at));
    at = end;
  }
  return out;
}

}  // namespace

Expected<TcpExtCounters, std::string> parseTcpExtCounters(std::string_view netstat) {
  // proc(5): /proc/net/netstat holds pairs of lines, "TcpExt: Name ..." then "TcpExt: 0 ...".
  std::vector<std::string_view> lines;
  std::size_t at = 0;
  while (at < netstat.size()) {
    std::size_t end = netstat.find('\n', at);
    if (end == std::string_view::npos) end = netstat.size();
    std::string_view line = netstat.substr(at, end - at);
    if (line.substr(0, 7) == "TcpExt:") lines.push_back(line.substr(7));
    at = end + 1;
  }
  if (lines.size() != 2) return Unexpected{fmt::format("expected 2 TcpExt lines, found {}", lines.size())};
  auto names = words(lines[0]);
  auto values = words(lines[1]);
  if (names.size() != values.size()) {
    return Unexpected{fmt::format("TcpExt has {} names and {} values", names.size(), values.size())};
  }
  TcpExtCounters counters;
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::uint64_t value = 0;
    auto [end, error] = std::from_chars(values[i].data(), values[i].data() + values[i].size(), value);
    if (error != std::errc() || end != values[i].data() + values[i].size()) {
      return Unexpected{fmt::format("TcpExt {}: '{}' is not a number", names[i], values[i])};
    }
    counters.emplace(std::string(names[i]), value);
  }
  return counters;
}

Expected<TcpExtCounters, std::string> readTcpExtCounters() {
  auto text = readFileBytes("/proc/net/netstat", 1 << 20);
  if (!text) return Unexpected{fmt::format("/proc/net/netstat: {}", text.error().describe())};
  auto counters = parseTcpExtCounters(*text);
  if (!counters) return Unexpected{fmt::format("/proc/net/netstat: {}", counters.error())};
  return counters;
}

std::uint64_t counterIncrease(const TcpExtCounters& before, const TcpExtCounters& after,
                              std::string_view name) {
  auto was = before.find(name);
  auto now = after.find(name);
  if (was == before.end() || now == after.end() || now->second < was->second) return 0;
  return now->second - was->second;
}

}  // namespace sockspec::suites
