#include "chaos/leftover_audit.h"

#include <sys/prctl.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "runner/network_namespace.h"
#include "support/process_probe.h"

namespace sockspec::testing {

namespace {

std::string commandName(pid_t pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

// The rows of /proc/net/FILE after its header, split into whitespace-separated fields.
std::vector<std::vector<std::string>> procNetRows(const std::string& file) {
  std::vector<std::vector<std::string>> rows;
  std::ifstream in("/proc/net/" + file);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::vector<std::string> row;
    for (std::string field; fields >> field;) row.push_back(field);
    if (!row.empty()) rows.push_back(std::move(row));
  }
  return rows;
}

// Who holds socket `inode` open ("held by pid 12 (sockspec-server)"), from /proc/*/fd; "held by no process"
// when nobody does (the kernel still finishing it).
std::string holderOf(const std::string& inode) {
  std::string wanted = "socket:[" + inode + "]";
  std::error_code error;
  for (std::filesystem::directory_iterator proc("/proc", error), end; !error && proc != end; proc.increment(error)) {
    std::string pid = proc->path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code fdError;
    for (std::filesystem::directory_iterator fd(proc->path() / "fd", fdError), fdEnd; !fdError && fdEnd != fd;
         fd.increment(fdError)) {
      std::error_code linkError;
      if (std::filesystem::read_symlink(fd->path(), linkError).string() == wanted) {
        return "held by pid " + pid + " (" + commandName(static_cast<pid_t>(std::stol(pid))) + ")";
      }
    }
  }
  return "held by no process";
}

// Calls `look` until it finds nothing or `deadline` passes; returns what it found last.
template <typename Look>
std::vector<std::string> untilNoneLeft(Look look, Deadline deadline) {
  for (;;) {
    auto found = look();
    if (found.empty() || deadline.expired()) return found;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

std::string isolateForLeftoverAudit() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return "prctl(PR_SET_CHILD_SUBREAPER) failed";
  auto entered = runner::enterPrivateNetworkNamespace();
  if (!entered) return entered.error();
  return {};
}

std::vector<std::string> liveDescendants(Deadline deadline) {
  return untilNoneLeft(
      [] {
        std::vector<std::string> alive;
        for (pid_t pid : childrenOfThisProcess()) {
          int status = 0;
          if (::waitpid(pid, &status, WNOHANG) == pid) continue;  // an orphan that had already died: reaped
          char state = processState(pid);
          if (state == '\0') continue;
          alive.push_back("pid " + std::to_string(pid) + " (" + commandName(pid) + ") state " + state);
        }
        return alive;
      },
      deadline);
}

std::vector<std::string> openSockets(Deadline deadline) { return untilNoneLeft(socketsNow, deadline); }

std::vector<std::string> socketsNow() {
  std::vector<std::string> found;
  // /proc/net/tcp: "sl local_address rem_address st ..."; st 0A is TCP_LISTEN (include/net/tcp_states.h).
  for (const char* file : {"tcp", "tcp6"}) {
    for (const auto& row : procNetRows(file)) {
      if (row.size() > 9 && row[3] == "0A") {
        found.push_back(std::string(file) + " listening on " + row[1] + ", " + holderOf(row[9]));
      }
    }
  }
  // Any UDP socket at all: a bound datagram socket is what a UDP server leaves.
  for (const char* file : {"udp", "udp6"}) {
    for (const auto& row : procNetRows(file)) {
      if (row.size() > 9) found.push_back(std::string(file) + " bound to " + row[1] + ", " + holderOf(row[9]));
    }
  }
  // /proc/net/unix: "Num RefCount Protocol Flags Type St Inode Path"; Flags 00010000 is __SO_ACCEPTCON, a
  // listening socket (net/unix/af_unix.c, unix_seq_show).
  for (const auto& row : procNetRows("unix")) {
    if (row.size() > 3 && row[3] == "00010000") {
      found.push_back("unix listening" + (row.size() > 7 ? " at " + row[7] : std::string(" (unnamed)")));
    }
  }
  return found;
}

std::vector<std::string> namedNetworkNamespaces() {
  std::vector<std::string> names;
  std::error_code error;
  for (std::filesystem::directory_iterator it("/run/netns", error), end; !error && it != end; it.increment(error)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> filesUnder(const std::string& folder) {
  std::vector<std::string> files;
  std::error_code error;
  for (std::filesystem::recursive_directory_iterator it(folder, error), end; !error && it != end;
       it.increment(error)) {
    std::string relative = std::filesystem::relative(it->path(), folder).string();
    files.push_back(it->is_directory() ? relative + "/" : relative);
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace sockspec::testing
