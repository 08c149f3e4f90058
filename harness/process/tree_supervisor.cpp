#include "process/tree_supervisor.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace sockspec::process {

namespace {

std::int64_t nowMs() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000;
}

// Appends the decimal digits of `n` to `out` at `length`.
int appendNumber(char* out, int length, int n) {
  char digits[16];
  int count = 0;
  for (; n > 0; n /= 10) digits[count++] = static_cast<char>('0' + n % 10);
  while (count > 0) out[length++] = digits[--count];
  return length;
}

// Calls `visit(pid)` for each child of this (single-threaded) process, from
// /proc/self/task/<pid>/children (proc(5): the thread's children, orphans reparented to a subreaper
// included). Raw read into a stack buffer: no allocation. Returns false when the file cannot be read
// (a kernel without CONFIG_PROC_CHILDREN), so the caller falls back to reading every process's parent.
template <typename Visit>
bool forEachChildListed(Visit visit) {
  char path[64] = "/proc/self/task/";
  int length = appendNumber(path, 16, ::getpid());
  const char suffix[] = "/children";
  for (char c : suffix) path[length++] = c;
  int file = ::open(path, O_RDONLY | O_CLOEXEC);
  if (file < 0) return false;
  char text[4096];
  int pid = 0;
  // Bounded: the file is finite; a pid cut at a buffer's end continues in the next read.
  for (;;) {
    ssize_t n = ::read(file, text, sizeof(text));
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      if (text[i] >= '0' && text[i] <= '9') {
        pid = pid * 10 + (text[i] - '0');
      } else if (pid > 0) {
        visit(pid);
        pid = 0;
      }
    }
  }
  if (pid > 0) visit(pid);
  ::close(file);
  return true;
}

// The same from every /proc/PID/stat ("pid (comm) S ppid ..."; comm may hold ')' so the fields are counted
// from the last one), with raw getdents64.
template <typename Visit>
void forEachChildScanned(Visit visit) {
  int self = ::getpid();
  int proc = ::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (proc < 0) return;
  alignas(8) char entries[8192];
  // Bounded: /proc lists a finite number of processes.
  for (;;) {
    long got = ::syscall(SYS_getdents64, proc, entries, sizeof(entries));
    if (got <= 0) break;
    for (long at = 0; at < got;) {
      struct Entry {
        std::uint64_t inode;
        std::int64_t offset;
        unsigned short length;
        unsigned char type;
        char name[1];
      };
      const auto* entry = reinterpret_cast<const Entry*>(entries + at);
      at += entry->length;
      int pid = 0;
      const char* c = entry->name;
      for (; *c >= '0' && *c <= '9'; ++c) pid = pid * 10 + (*c - '0');
      if (*c != '\0' || pid <= 0) continue;
      char path[64] = "/proc/";
      int length = appendNumber(path, 6, pid);
      const char suffix[] = "/stat";
      for (char s : suffix) path[length++] = s;
      int stat = ::open(path, O_RDONLY | O_CLOEXEC);
      if (stat < 0) continue;
      char text[512];
      ssize_t n = ::read(stat, text, sizeof(text) - 1);
      ::close(stat);
      if (n <= 0) continue;
      text[n] = '\0';
      const char* close = nullptr;
      for (const char* p = text; *p != '\0'; ++p) {
        if (*p == ')') close = p;
      }
      if (close == nullptr || close[1] == '\0' || close[2] == '\0' || close[3] == '\0') continue;
      int parent = 0;
      for (const char* p = close + 4; *p >= '0' && *p <= '9'; ++p) parent = parent * 10 + (*p - '0');
      if (parent == self) visit(pid);
    }
  }
  ::close(proc);
}

template <typename Visit>
void forEachChild(Visit visit) {
  if (!forEachChildListed(visit)) forEachChildScanned(visit);
}

// Everything below us: each child and the group it leads (the command's own group, holding its shell and
// what that started; a daemon that called setsid). Not our own group: SIGKILL would end us before we reap.
void signalAll(int signal) {
  forEachChild([signal](int pid) {
    ::kill(pid, signal);
    ::kill(-pid, signal);
  });
}

struct Ending {
  bool seen = false;
  int status = 0;  // the last reaped process's wait status
};

// Reaps every child that has ended; false once none is left (ECHILD).
bool reap(Ending& ending) {
  for (;;) {
    int status = 0;
    pid_t done = ::waitpid(-1, &status, WNOHANG);
    if (done > 0) {
      ending.seen = true;
      ending.status = status;
      continue;
    }
    if (done < 0 && errno == EINTR) continue;
    return !(done < 0 && errno == ECHILD);
  }
}

// Appends to the output file, keeping it under kOutputLimit: past it, the newest kOutputKeptOnCut bytes
// are moved to the front and the rest dropped, with a line saying so.
void appendOutput(int file, const char* data, std::size_t size) {
  if (file < 0) return;
  off_t length = ::lseek(file, 0, SEEK_END);
  if (length >= 0 && static_cast<std::size_t>(length) + size > kOutputLimit) {
    static char kept[kOutputKeptOnCut];  // static: too large for a small stack; only this process uses it
    std::size_t keep = static_cast<std::size_t>(length) < kOutputKeptOnCut ? static_cast<std::size_t>(length)
                                                                             : kOutputKeptOnCut;
    ssize_t got = ::pread(file, kept, keep, length - static_cast<off_t>(keep));
    if (::ftruncate(file, 0) == 0) {
      ::lseek(file, 0, SEEK_SET);
      const char note[] = "[sockspec: earlier output dropped, the newest is kept]\n";
      (void)!::write(file, note, sizeof(note) - 1);
      if (got > 0) (void)!::write(file, kept, static_cast<std::size_t>(got));
    }
  }
  (void)!::write(file, data, size);
}

[[noreturn]] void exitAs(const Ending& ending) {
  if (ending.seen && WIFSIGNALED(ending.status)) {
    int signal = WTERMSIG(ending.status);
    rlimit noCore{0, 0};
    ::setrlimit(RLIMIT_CORE, &noCore);  // the server may have dumped core; its supervisor need not
    ::signal(signal, SIG_DFL);
    sigset_t only;
    ::sigemptyset(&only);
    ::sigaddset(&only, signal);
    ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
    ::kill(::getpid(), signal);
    ::_exit(128 + signal);  // a signal whose default is not to end the process
  }
  ::_exit(ending.seen && WIFEXITED(ending.status) ? WEXITSTATUS(ending.status) : 0);
}

// Closes every descriptor but the ones in `keep` (ascending, 3 at most): what sockspec had open (other jobs'
// pipes, listening sockets) must not be held open by a process that may outlive the moment it was forked.
void closeAllExcept(const int (&keep)[3]) {
  unsigned from = 3;
  for (int fd : keep) {
    if (fd < static_cast<int>(from)) continue;
    if (static_cast<unsigned>(fd) > from) {
      if (::close_range(from, static_cast<unsigned>(fd) - 1, 0) != 0) {
        for (unsigned each = from; each < static_cast<unsigned>(fd); ++each) ::close(static_cast<int>(each));
      }
    }
    from = static_cast<unsigned>(fd) + 1;
  }
  if (::close_range(from, ~0U, 0) != 0) {
    for (unsigned each = from; each < 65536; ++each) ::close(static_cast<int>(each));
  }
}

}  // namespace

void runTreeSupervisor(const TreeSupervisorSetup& setup) {
  int keep[3] = {setup.outputFd, setup.lifelineFd, setup.execErrorPipe};
  // Ascending, for closeAllExcept (three elements: a sorting network).
  auto order = [&keep](int a, int b) {
    if (keep[a] > keep[b]) {
      int t = keep[a];
      keep[a] = keep[b];
      keep[b] = t;
    }
  };
  order(0, 1);
  order(1, 2);
  order(0, 1);
  closeAllExcept(keep);
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  // If sockspec dies, this process must still stop what it owns: SIGTERM (handled below), not SIGKILL.
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  sigset_t handled;
  ::sigemptyset(&handled);
  ::sigaddset(&handled, SIGCHLD);
  ::sigaddset(&handled, SIGTERM);
  ::sigaddset(&handled, SIGINT);
  ::sigaddset(&handled, SIGHUP);
  ::sigaddset(&handled, SIGUSR1);
  ::sigprocmask(SIG_BLOCK, &handled, nullptr);
  int signals = ::signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
  int output[2] = {-1, -1};
  if (::pipe2(output, O_CLOEXEC) < 0) ::_exit(127);

  pid_t command = ::fork();
  if (command < 0) ::_exit(127);
  if (command == 0) {
    // The command: in a process group of its own (signalled as one), dying if the supervisor does (it would
    // otherwise be orphaned to init), with the signal mask a program expects.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(output[1], STDOUT_FILENO);
    ::dup2(output[1], STDERR_FILENO);
    ::execvp(setup.argv[0], setup.argv);
    int err = errno;
    (void)!::write(setup.execErrorPipe, &err, sizeof(err));
    ::_exit(127);
  }
  ::setpgid(command, command);  // also from here, so that signalAll reaches it before it ran setpgid
  ::close(output[1]);
  ::close(setup.execErrorPipe);  // the exec's copy is the only one left: EOF on success

  Ending ending;
  bool stopping = false;
  std::int64_t killAt = 0;
  bool outputOpen = true;
  // One read of the command's output into the bounded file; the pipe is done at EOF or a hard error.
  auto readOutput = [&] {
    char chunk[4096];
    ssize_t n = ::read(output[0], chunk, sizeof(chunk));
    if (n > 0) appendOutput(setup.outputFd, chunk, static_cast<std::size_t>(n));
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) outputOpen = false;
  };
  // Bounded: once stopping, SIGKILL follows at killAt and every process ends; until then each pass waits
  // in poll for a signal, output or the lifeline.
  for (;;) {
    if (!reap(ending)) break;  // nobody left
    if (stopping && nowMs() >= killAt) signalAll(SIGKILL);
    pollfd watched[3] = {{signals, POLLIN, 0}, {outputOpen ? output[0] : -1, POLLIN, 0},
                         {stopping ? -1 : setup.lifelineFd, POLLIN, 0}};
    int timeout = stopping ? static_cast<int>(killAt > nowMs() ? killAt - nowMs() : 10) : 1000;
    int ready = ::poll(watched, 3, timeout);
    if (ready < 0 && errno != EINTR) ::_exit(127);
    bool stopRequested = (watched[2].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
    bool killNow = false;
    if ((watched[0].revents & POLLIN) != 0) {
      signalfd_siginfo info{};
      // Drained: the fd is non-blocking.
      while (::read(signals, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
        if (info.ssi_signo == SIGUSR1) killNow = true;
        if (info.ssi_signo != SIGCHLD) stopRequested = true;
      }
    }
    if ((watched[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) readOutput();
    if (stopRequested && !stopping) {
      stopping = true;
      killAt = nowMs() + setup.graceMs;
      signalAll(SIGTERM);
    }
    if (killNow) killAt = nowMs();  // SIGKILL to all on the next pass, which reaps first
  }
  // What the last of them wrote just before it ended may still be in the pipe (its exit can be reaped
  // first): a command that says why it fails and exits at once must not lose the saying. Every writer is
  // gone, so the pipe ends; bounded anyway by a pass that finds nothing waiting.
  while (outputOpen) {
    pollfd pending{output[0], POLLIN, 0};
    if (::poll(&pending, 1, 0) <= 0) break;
    readOutput();
  }
  exitAs(ending);
}

}  // namespace sockspec::process
