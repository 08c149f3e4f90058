#include "process/process_tree.h"

#include <dirent.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <string_view>

namespace sockspec::process {

namespace {

std::optional<pid_t> parsePid(std::string_view text) {
  pid_t pid = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (error != std::errc() || end != text.data() + text.size() || pid <= 0) return std::nullopt;
  return pid;
}

std::optional<pid_t> parentOf(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(file, stat)) return std::nullopt;
  return parentPidOfStat(stat);
}

template <typename Visit>
void forEachProcess(Visit visit) {
  std::error_code error;
  for (std::filesystem::directory_iterator it("/proc", error), end; !error && it != end; it.increment(error)) {
    if (auto pid = parsePid(it->path().filename().string())) visit(*pid);
  }
}

}  // namespace

std::optional<pid_t> parentPidOfStat(std::string_view stat) {
  std::size_t close = stat.rfind(')');
  if (close == std::string_view::npos || close + 2 >= stat.size()) return std::nullopt;
  std::string_view rest = stat.substr(close + 2);  // "S 1234 ..."
  std::size_t space = rest.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  rest = rest.substr(space + 1);
  return parsePid(rest.substr(0, rest.find(' ')));
}

std::vector<pid_t> descendantsOf(pid_t root) {
  std::multimap<pid_t, pid_t> children;
  forEachProcess([&](pid_t pid) {
    if (auto parent = parentOf(pid)) children.emplace(*parent, pid);
  });
  std::vector<pid_t> found;
  std::vector<pid_t> pending{root};
  // Bounded: each pid is a child of one parent, so each is visited once.
  while (!pending.empty()) {
    pid_t parent = pending.back();
    pending.pop_back();
    auto [first, last] = children.equal_range(parent);
    for (auto it = first; it != last; ++it) {
      found.push_back(it->second);
      pending.push_back(it->second);
    }
  }
  return found;
}

std::vector<pid_t> childrenOf(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::vector<pid_t> children;
  for (std::string word; file >> word;) {
    if (auto child = parsePid(word)) children.push_back(*child);
  }
  return children;
}

bool statSaysExiting(std::string_view stat) {
  std::size_t close = stat.rfind(')');
  if (close == std::string_view::npos || close + 2 >= stat.size()) return false;
  std::string_view rest = stat.substr(close + 2);  // "state ppid pgrp session tty_nr tpgid flags ..."
  if (rest[0] == 'Z' || rest[0] == 'X') return true;
  std::size_t at = 0;
  for (int field = 0; field < 6; ++field) {  // past state, ppid, pgrp, session, tty_nr, tpgid
    at = rest.find(' ', at);
    if (at == std::string_view::npos) return false;
    ++at;
  }
  std::size_t end = rest.find(' ', at);
  std::string_view flags = rest.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
  unsigned long value = 0;
  auto [ptr, error] = std::from_chars(flags.data(), flags.data() + flags.size(), value);
  constexpr unsigned long kPfExiting = 0x4;
  return error == std::errc() && ptr == flags.data() + flags.size() && (value & kPfExiting) != 0;
}

bool isExiting(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(file, stat)) return true;  // gone
  return statSaysExiting(stat);
}

std::vector<std::uint64_t> socketInodesOf(pid_t pid) {
  std::vector<std::uint64_t> inodes;
  std::error_code error;
  std::string folder = "/proc/" + std::to_string(pid) + "/fd";
  for (std::filesystem::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    std::error_code linkError;
    std::string target = std::filesystem::read_symlink(it->path(), linkError).string();
    constexpr std::string_view kPrefix = "socket:[";
    if (linkError || target.rfind(kPrefix, 0) != 0 || target.back() != ']') continue;
    std::uint64_t inode = 0;
    std::string_view digits = std::string_view(target).substr(kPrefix.size(), target.size() - kPrefix.size() - 1);
    auto [end2, parseError] = std::from_chars(digits.data(), digits.data() + digits.size(), inode);
    if (parseError == std::errc()) inodes.push_back(inode);
  }
  return inodes;
}

std::optional<SocketOwner> findSocketOwner(std::uint64_t inode) {
  std::optional<SocketOwner> owner;
  forEachProcess([&](pid_t pid) {
    if (owner) return;
    for (auto each : socketInodesOf(pid)) {
      if (each != inode) continue;
      std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
      std::string name;
      std::getline(comm, name);
      owner = SocketOwner{pid, name};
      return;
    }
  });
  return owner;
}

}  // namespace sockspec::process
