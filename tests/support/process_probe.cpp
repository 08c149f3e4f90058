#include "support/process_probe.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "net/unique_fd.h"

namespace sockspec::testing {

namespace {

struct StatFields {
  char state = '\0';
  long parent = 0;
};

// /proc/PID/stat is "pid (comm) state ppid ...": comm may hold spaces and ')', so parse from the last ')'.
// Read with read(2): the process may exit meanwhile, and a read that fails (ESRCH) must mean "gone", not an
// exception from a stream buffer.
StatFields readStat(const std::string& pidText) {
  StatFields fields;
  net::UniqueFd file(::open(("/proc/" + pidText + "/stat").c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) return fields;
  char buffer[512];
  ssize_t length = ::read(file.get(), buffer, sizeof(buffer) - 1);
  if (length <= 0) return fields;
  std::string stat(buffer, static_cast<std::size_t>(length));
  auto close = stat.rfind(')');
  if (close == std::string::npos) return fields;
  std::istringstream rest(stat.substr(close + 1));
  rest >> fields.state >> fields.parent;
  return fields;
}

}  // namespace

char processState(pid_t pid) { return readStat(std::to_string(pid)).state; }

std::size_t openDescriptorCount(pid_t pid) {
  std::size_t count = 0;
  DIR* fds = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (fds == nullptr) return 0;
  while (dirent* entry = ::readdir(fds)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(fds);
  return count;
}

std::vector<pid_t> childrenOfThisProcess() {
  std::vector<pid_t> children;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return children;
  long self = ::getpid();
  while (dirent* entry = ::readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0') continue;
    auto fields = readStat(entry->d_name);
    if (fields.state != '\0' && fields.parent == self) children.push_back(static_cast<pid_t>(pid));
  }
  ::closedir(proc);
  return children;
}

FrozenProcess::FrozenProcess(pid_t pid, Deadline deadline) : m_pid(pid) {
  REQUIRE(::kill(-m_pid, SIGSTOP) == 0);
  // kill(2) only queues the signal: wait until the kernel has really stopped the process.
  while (processState(m_pid) != 'T') {
    if (deadline.expired()) {
      ::kill(-m_pid, SIGCONT);
      FAIL("process " << m_pid << " did not stop (state " << processState(m_pid) << ")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

FrozenProcess::~FrozenProcess() { thaw(); }

void FrozenProcess::thaw() {
  if (!m_frozen) return;
  m_frozen = false;
  ::kill(-m_pid, SIGCONT);
}

}  // namespace sockspec::testing
