#include "process/process_activity.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>

#include "base/coverage_map_layout.h"

namespace sockspec::process {

namespace {

using Buffer = std::array<char, 512>;

std::optional<std::uint64_t> parseNumber(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end == text.data()) return std::nullopt;
  return value;
}

// Opens /proc/PID/task/TID/NAME once; empty when the thread is gone.
net::UniqueFd openThreadFile(pid_t pid, pid_t tid, const char* name) {
  char path[96];
  std::snprintf(path, sizeof path, "/proc/%d/task/%d/%s", static_cast<int>(pid), static_cast<int>(tid), name);
  return net::UniqueFd(::open(path, O_RDONLY | O_CLOEXEC));
}

// The file's text from its start (these are small: one pread); nullopt when its thread is gone (ESRCH) or
// it cannot be read.
std::optional<std::string_view> readFromStart(const net::UniqueFd& fd, Buffer& buffer) {
  if (!fd) return std::nullopt;
  ssize_t got = ::pread(fd.get(), buffer.data(), buffer.size(), 0);
  if (got < 0) return std::nullopt;
  return std::string_view(buffer.data(), static_cast<std::size_t>(got));
}

// The thread ids in an open /proc/PID/task, read again from its start (getdents64(2)).
std::vector<pid_t> threadIds(int folder) {
  std::vector<pid_t> ids;
  if (::lseek(folder, 0, SEEK_SET) != 0) return ids;
  alignas(8) std::array<char, 4096> entries{};
  // Bounded: each call returns fewer entries until none (0) or an error (-1).
  for (int pass = 0; pass < 64; ++pass) {
    long got = ::syscall(SYS_getdents64, folder, entries.data(), entries.size());
    if (got <= 0) break;
    for (long at = 0; at < got;) {
      auto* entry = reinterpret_cast<const dirent64*>(entries.data() + at);
      if (auto id = parseNumber(entry->d_name); id && *id > 0) ids.push_back(static_cast<pid_t>(*id));
      at += entry->d_reclen;
    }
  }
  return ids;
}

}  // namespace

std::optional<char> stateOfStat(std::string_view stat) {
  std::size_t close = stat.rfind(')');
  if (close == std::string_view::npos || close + 2 >= stat.size() || stat[close + 1] != ' ') return std::nullopt;
  return stat[close + 2];
}

std::optional<std::size_t> threadsOfStat(std::string_view stat) {
  std::size_t close = stat.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  stat.remove_prefix(close + 1);
  // " S ppid ...": num_threads is field 20 of proc(5), the 18th after the command's ')'.
  for (int field = 0; field < 18; ++field) {
    std::size_t start = stat.find_first_not_of(' ');
    if (start == std::string_view::npos) return std::nullopt;
    stat.remove_prefix(start);
    if (field == 17) return parseNumber(stat.substr(0, stat.find(' ')));
    std::size_t space = stat.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    stat.remove_prefix(space);
  }
  return std::nullopt;
}

std::optional<std::uint64_t> timeslicesOfSchedstat(std::string_view schedstat) {
  for (int field = 0; field < 2; ++field) {
    std::size_t space = schedstat.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    schedstat.remove_prefix(space + 1);
  }
  return parseNumber(schedstat);
}

bool isTimedSleep(std::string_view wchan) {
  // nanosleep(2), clock_nanosleep(2), sleep(3), usleep(3) (kernel/time/hrtimer.c); pause(2) waits for a signal.
  // "0" (or nothing) is no answer: get_wchan() gives 0 when it cannot walk the stack, which happens to a
  // thread asleep in nanosleep as it is read (seen: 1 read in ~30 against a python3 server's time.sleep), so
  // it cannot be taken for a wait for input.
  return wchan.empty() || wchan == "0" || wchan == "hrtimer_nanosleep" || wchan == "do_nanosleep" ||
         wchan == "common_nsleep";
}

void ActivityWatch::readChildren(pid_t pid, pid_t tid, ThreadFiles& files, std::vector<pid_t>& pending) {
  Buffer buffer{};
  if (!files.children) files.children = openThreadFile(pid, tid, "children");
  auto children = readFromStart(files.children, buffer).value_or(std::string_view{});
  // Space-separated pids ("812 813 "); a list longer than the buffer loses its tail, and with it processes
  // whose activity is then not seen: more than ~80 children of one thread.
  while (!children.empty()) {
    std::size_t space = children.find(' ');
    if (auto child = parseNumber(children.substr(0, space)); child && *child > 0) {
      pending.push_back(static_cast<pid_t>(*child));
    }
    if (space == std::string_view::npos) break;
    children.remove_prefix(space + 1);
  }
}

bool ActivityWatch::threadAtRest(pid_t pid, pid_t tid, ThreadFiles& files, bool whole, Activity& activity,
                                 std::vector<pid_t>& pending, ProcessThreads& process) {
  Buffer buffer{};
  if (!files.named) {
    files.named = true;
    if (auto comm = readFromStart(openThreadFile(pid, tid, "comm"), buffer)) {
      files.coverage = *comm == SOCKSPEC_COVERAGE_THREAD_NAME "\n";
    }
  }
  if (files.coverage) return true;
  if (!files.stat) files.stat = openThreadFile(pid, tid, "stat");
  auto stat = readFromStart(files.stat, buffer);
  if (!stat) {
    files = ThreadFiles{};  // gone while read: it writes nothing more (and its id, used again, is opened afresh)
    files.seen = true;
    process.listed = false;  // the list is read again next time
    return true;
  }
  // The main thread's stat counts the process's threads: another count than listed means threads came or
  // went since (a thread per connection), and the list is read again before anything is judged.
  if (tid == pid && threadsOfStat(*stat).value_or(process.ids.size()) != process.ids.size()) process.listed = false;
  auto state = stateOfStat(*stat);
  if (!state) return true;
  bool atRest = true;
  switch (*state) {
    case 'Z':
    case 'X':
      return true;
    case 'S':
    case 'T':  // stopped or traced: nothing goes on until something from outside resumes it
    case 't':
      break;
    default:  // R running or runnable, D in the kernel (disk, a page fault), anything new
      atRest = false;
  }
  if (atRest && *state == 'S') {
    if (!files.wchan) files.wchan = openThreadFile(pid, tid, "wchan");
    if (auto wchan = readFromStart(files.wchan, buffer); wchan && isTimedSleep(*wchan)) atRest = false;
  }
  if (!atRest && !whole) return false;
  if (!files.schedstat) files.schedstat = openThreadFile(pid, tid, "schedstat");
  if (auto schedstat = readFromStart(files.schedstat, buffer)) {
    activity.timeslices += timeslicesOfSchedstat(*schedstat).value_or(0);
  }
  readChildren(pid, tid, files, pending);
  return atRest;
}

ActivityWatch::ProcessThreads* ActivityWatch::threadsOf(pid_t pid) {
  auto found = m_processes.find(pid);
  if (found == m_processes.end()) {
    char path[48];
    std::snprintf(path, sizeof path, "/proc/%d/task", static_cast<int>(pid));
    net::UniqueFd folder(::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!folder) return nullptr;
    found = m_processes.emplace(pid, ProcessThreads{std::move(folder), {}, false}).first;
  }
  ProcessThreads& process = found->second;
  if (!process.listed) {
    process.ids = threadIds(process.folder.get());
    // The main thread first: its stat says whether the list is still whole.
    if (auto main = std::find(process.ids.begin(), process.ids.end(), pid); main != process.ids.end()) {
      std::iter_swap(process.ids.begin(), main);
    }
    process.listed = true;
  }
  if (process.ids.empty()) {
    m_processes.erase(found);  // gone: a pid used again is opened afresh
    return nullptr;
  }
  return &process;
}

std::optional<Activity> ActivityWatch::readOnce(bool whole) {
  Activity activity;
  bool allAtRest = true;
  // Bounded: reads that never complete (a server never at rest) prune nothing; a churn of threads then
  // starts the files afresh.
  if (m_threads.size() > 2 * kMaxThreads) m_threads.clear();
  for (auto& [key, files] : m_threads) files.seen = false;
  std::vector<pid_t> pending{m_root};
  std::vector<pid_t> walked;
  bool complete = false;
  for (;;) {
    if (pending.empty()) {
      complete = true;
      break;
    }
    pid_t pid = pending.back();
    pending.pop_back();
    if (std::find(walked.begin(), walked.end(), pid) != walked.end()) continue;  // listed twice while read
    walked.push_back(pid);
    ProcessThreads* process = threadsOf(pid);
    if (process == nullptr) continue;
    // A supervisor watched for its children only: nothing of its own is judged or counted.
    bool childrenOnly = pid == m_root && m_watched == WatchedRoot::ChildrenOnly;
    bool stopped = false;
    for (pid_t tid : process->ids) {
      if (++activity.threads > kMaxThreads) return activity;
      ThreadFiles& files = m_threads[{pid, tid}];
      files.seen = true;
      if (childrenOnly) {
        readChildren(pid, tid, files, pending);
        continue;
      }
      if (!threadAtRest(pid, tid, files, whole, activity, pending, *process)) {
        allAtRest = false;
        if (!whole) {
          stopped = true;
          break;
        }
      }
      // Threads came or went since they were listed: this read cannot vouch for the process.
      if (!process->listed) return std::nullopt;
    }
    if (stopped) break;
  }
  if (complete) {
    // Threads that have gone since the last read: their files are closed.
    std::erase_if(m_threads, [](const auto& entry) { return !entry.second.seen; });
    std::erase_if(m_processes, [&walked](const auto& entry) {
      return std::find(walked.begin(), walked.end(), entry.first) == walked.end();
    });
    activity.atRest = allAtRest;
  }
  return activity;
}

Activity ActivityWatch::read(bool whole) {
  // A list found stale is read again at once, and the tree with it: at most a few times (threads that come
  // and go faster than that make a tree never seen at rest, which costs time but judges nothing wrongly).
  for (int attempt = 0; attempt < 4; ++attempt) {
    if (auto activity = readOnce(whole)) return *activity;
  }
  return Activity{};
}

Activity readActivity(pid_t root) { return ActivityWatch(root).read(); }

}  // namespace sockspec::process
