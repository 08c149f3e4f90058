#include "process/process_facts.h"

#include <dirent.h>
#include <sys/socket.h>
#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <set>
#include <string>

#include "base/file_bytes.h"
#include "net/socket_diag.h"

namespace sockspec::process {

namespace {

constexpr std::uint64_t kCloseWait = 8;  // TCP_CLOSE_WAIT, include/net/tcp_states.h

template <typename T>
std::optional<T> parseNumber(std::string_view text, int base = 10) {
  T value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string readSmall(const std::string& path, std::size_t maxBytes = 1 << 16) {
  auto text = readFileBytes(path, maxBytes);
  return text ? *text : std::string();
}

// /proc/net/tcp has a 150-byte line per socket, TIME-WAIT ones included: tens of thousands on a busy host.
constexpr std::size_t kMaxTcpTable = 64u << 20;

// The socket inodes among `pid`'s descriptors; also counts all of them.
std::vector<std::uint64_t> socketInodes(pid_t pid, std::size_t& descriptors, bool& readable) {
  std::vector<std::uint64_t> inodes;
  std::string folder = fmt::format("/proc/{}/fd", pid);
  DIR* fds = ::opendir(folder.c_str());
  readable = fds != nullptr;
  if (fds == nullptr) return inodes;
  // Bounded: one entry per descriptor.
  while (const dirent* entry = ::readdir(fds)) {
    if (entry->d_name[0] == '.') continue;
    ++descriptors;
    char target[64];
    std::string link = folder + "/" + entry->d_name;
    ssize_t length = ::readlink(link.c_str(), target, sizeof(target) - 1);
    if (length <= 0) continue;
    std::string_view text(target, static_cast<std::size_t>(length));
    constexpr std::string_view kSocket = "socket:[";
    if (text.substr(0, kSocket.size()) != kSocket || text.back() != ']') continue;
    if (auto inode =
            parseNumber<std::uint64_t>(text.substr(kSocket.size(), text.size() - kSocket.size() - 1))) {
      inodes.push_back(*inode);
    }
  }
  ::closedir(fds);
  return inodes;
}

}  // namespace

std::map<std::uint64_t, unsigned> tcpStatesByInode(std::string_view text) {
  // proc(5): "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ..."
  std::map<std::uint64_t, unsigned> states;
  std::size_t at = text.find('\n');  // the header
  while (at != std::string_view::npos && at < text.size()) {
    std::size_t end = text.find('\n', at + 1);
    std::string_view line =
        text.substr(at + 1, end == std::string_view::npos ? std::string_view::npos : end - at - 1);
    at = end;
    std::vector<std::string_view> fields;
    std::size_t i = 0;
    while (i < line.size() && fields.size() < 10) {
      while (i < line.size() && line[i] == ' ') ++i;
      std::size_t stop = line.find(' ', i);
      if (stop == std::string_view::npos) stop = line.size();
      if (stop > i) fields.push_back(line.substr(i, stop - i));
      i = stop;
    }
    if (fields.size() < 10) continue;
    auto state = parseNumber<unsigned>(fields[3], 16);
    auto inode = parseNumber<std::uint64_t>(fields[9]);
    if (state && inode && *inode != 0) states[*inode] = *state;
  }
  return states;
}

namespace {

// The inodes of this namespace's TCP sockets in CLOSE-WAIT: asked of the kernel by state (sock_diag), which
// answers at once where /proc/net/tcp lists every socket (~80 ms on a host with 16,000 in TIME-WAIT, and
// the burst check asks once per process of a forking server); the tables are the fallback.
std::set<std::uint64_t> closeWaitInodes() {
  std::set<std::uint64_t> inodes;
  auto v4 = net::listTcpSockets(AF_INET, net::tcpStateBit(net::TcpState::CloseWait));
  auto v6 = net::listTcpSockets(AF_INET6, net::tcpStateBit(net::TcpState::CloseWait));
  if (v4 && v6) {
    for (const auto* list : {&*v4, &*v6}) {
      for (const auto& socket : *list) inodes.insert(socket.inode);
    }
    return inodes;
  }
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    for (const auto& [inode, state] : tcpStatesByInode(readSmall(table, kMaxTcpTable))) {
      if (state == kCloseWait) inodes.insert(inode);
    }
  }
  return inodes;
}

}  // namespace

ProcessTreeFacts readProcessTreeFacts(const std::vector<pid_t>& pids, bool countCloseWait) {
  ProcessTreeFacts facts;
  std::set<std::uint64_t> closeWait = countCloseWait ? closeWaitInodes() : std::set<std::uint64_t>{};
  const auto pageSize = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  std::set<std::uint64_t> seen;  // a socket shared by two processes of the tree (fork) counts once
  for (pid_t pid : pids) {
    bool readable = false;
    std::size_t descriptors = 0;
    auto inodes = socketInodes(pid, descriptors, readable);
    if (!readable) continue;
    ++facts.processes;
    facts.descriptors += descriptors;
    facts.sockets += inodes.size();
    for (auto inode : inodes) {
      if (!seen.insert(inode).second) continue;
      if (closeWait.count(inode) != 0) ++facts.closeWaitSockets;
    }
    std::string statm = readSmall(fmt::format("/proc/{}/statm", pid));
    std::size_t space = statm.find(' ');
    if (space != std::string::npos) {
      std::size_t end = statm.find(' ', space + 1);
      if (auto pages =
              parseNumber<std::uint64_t>(std::string_view(statm).substr(space + 1, end - space - 1))) {
        facts.residentBytes += *pages * pageSize;
      }
    }
  }
  return facts;
}

std::optional<std::uint64_t> openFileLimit(pid_t pid) {
  std::string limits = readSmall(fmt::format("/proc/{}/limits", pid));
  constexpr std::string_view kRow = "Max open files";
  std::size_t at = limits.find(kRow);
  if (at == std::string::npos) return std::nullopt;
  std::size_t start = limits.find_first_not_of(' ', at + kRow.size());
  if (start == std::string::npos) return std::nullopt;
  std::size_t end = limits.find(' ', start);
  return parseNumber<std::uint64_t>(std::string_view(limits).substr(start, end - start));
}

}  // namespace sockspec::process
