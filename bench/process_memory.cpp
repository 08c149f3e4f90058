#include "process_memory.h"

#include <fmt/format.h>

#include <charconv>
#include <deque>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>
namespace sockspec::bench {

namespace {

std::optional<std::uint64_t> parseNumber(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end == text.data()) return std::nullopt;
  return value;
}

// The value in kB of the line "<field>:   1234 kB" of a /proc key-value file; nullopt when the file cannot
// be opened (the process has gone) or has no such line.
std::optional<std::uint64_t> readKibField(const std::string& path, std::string_view field) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string line;
  // Bounded by the file: /proc status files are a few dozen lines.
  while (std::getline(in, line)) {
    std::string_view view(line);
    if (view.size() > field.size() && view.substr(0, field.size()) == field && view[field.size()] == ':') {
      return parseNumber(view.substr(field.size() + 1));
    }
  }
  return std::nullopt;
}

// The parent pid from /proc/PID/stat: "pid (comm) state ppid ...", where comm may hold spaces and ')'.
std::optional<pid_t> readParentPid(const std::string& statPath) {
  std::ifstream in(statPath);
  if (!in) return std::nullopt;
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  std::size_t close = line.rfind(')');
  if (close == std::string::npos || close + 4 >= line.size()) return std::nullopt;
  auto ppid = parseNumber(std::string_view(line).substr(close + 4));  // skip ") S "
  if (!ppid) return std::nullopt;
  return static_cast<pid_t>(*ppid);
}

std::unordered_map<pid_t, std::vector<pid_t>> childrenByParent() {
  std::unordered_map<pid_t, std::vector<pid_t>> children;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    auto pid = parseNumber(name);
    if (!pid || std::to_string(*pid) != name) continue;
    auto parent = readParentPid(entry.path().string() + "/stat");
    if (parent) children[*parent].push_back(static_cast<pid_t>(*pid));
  }
  return children;
}

}  // namespace

Expected<ProcessTreeMemory, std::string> measureProcessTree(pid_t root) {
  const std::string rootDir = fmt::format("/proc/{}", root);
  std::error_code ec;
  if (!std::filesystem::exists(rootDir, ec)) return Unexpected{fmt::format("pid {}: no such process", root)};
  auto rootRss = readKibField(rootDir + "/status", "VmRSS");
  if (!rootRss) {
    // A zombie's status has no VmRSS line: the process exited and was not reaped yet.
    return Unexpected{fmt::format("pid {}: no VmRSS in {}/status (has the process exited?)", root, rootDir)};
  }
  auto rootPss = readKibField(rootDir + "/smaps_rollup", "Pss");
  if (!rootPss) {
    return Unexpected{
        fmt::format("pid {}: cannot read Pss from {}/smaps_rollup (needs Linux >= 4.14 and "
                    "ptrace read access to the process)",
                    root, rootDir)};
  }

  ProcessTreeMemory memory;
  memory.processes = 1;
  memory.rssKib = *rootRss;
  memory.pssKib = *rootPss;

  auto children = childrenByParent();
  std::deque<pid_t> pending(children[root].begin(), children[root].end());
  std::unordered_set<pid_t> seen{root};
  // Bounded: each pid is visited once and /proc lists finitely many.
  while (!pending.empty()) {
    pid_t pid = pending.front();
    pending.pop_front();
    if (!seen.insert(pid).second) continue;
    const std::string dir = fmt::format("/proc/{}", pid);
    auto rss = readKibField(dir + "/status", "VmRSS");
    auto pss = readKibField(dir + "/smaps_rollup", "Pss");
    if (rss && pss) {
      ++memory.processes;
      memory.rssKib += *rss;
      memory.pssKib += *pss;
    }
    auto found = children.find(pid);
    if (found != children.end()) pending.insert(pending.end(), found->second.begin(), found->second.end());
  }
  return memory;
}

}  // namespace sockspec::bench
