#include "process/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "base/errno_names.h"
#include "base/exit_codes.h"
#include "base/sys_error.h"
#include "process/interrupt_signals.h"
#include "process/tree_supervisor.h"

namespace sockspec::process {

namespace {

// How often terminate() looks at its interrupt flag.
constexpr std::chrono::milliseconds kInterruptCheck{20};

struct Pipe {
  net::UniqueFd read;
  net::UniqueFd write;
};

Result<Pipe> makePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return lastError("pipe2");
  return Pipe{net::UniqueFd(fds[0]), net::UniqueFd(fds[1])};
}

// In a new child, first: its own process group (so the owner can signal all it starts), and death with its
// parent, or at once when the parent is already gone. Only async-signal-safe calls.
void joinOwnGroupTiedTo(pid_t parent, int exitIfOrphaned) {
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(exitIfOrphaned);  // the parent died before prctl took effect
}

// In the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void execChild(char* const* argv, int stdinFd, int stdoutFd, int stderrFd, int errorPipe,
                            pid_t parent) {
  joinOwnGroupTiedTo(parent, 127);
  // Undo what the parent may have set that a program does not expect to inherit.
  sigset_t none;
  ::sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);
  if (stdinFd >= 0) ::dup2(stdinFd, STDIN_FILENO);
  if (stdoutFd >= 0) ::dup2(stdoutFd, STDOUT_FILENO);
  if (stderrFd >= 0) ::dup2(stderrFd, STDERR_FILENO);
  ::execvp(argv[0], argv);
  int err = errno;
  (void)!::write(errorPipe, &err, sizeof(err));
  ::_exit(127);
}

ExitStatus decodeStatus(int status) {
  ExitStatus result;
  if (WIFEXITED(status)) {
    result.exited = true;
    result.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace

std::string ExitStatus::describe() const {
  if (exited) return fmt::format("exit {}", code);
  const char* name = ::sigabbrev_np(signal);
  return name != nullptr ? fmt::format("killed by SIG{}", name) : fmt::format("killed by signal {}", signal);
}

Expected<ChildProcess, std::string> ChildProcess::spawn(const std::vector<std::string>& argv,
                                                        const SpawnOptions& options) {
  if (argv.empty()) return Unexpected{std::string("spawn: empty command")};
  auto fail = [&](const SysError& error) {
    return Unexpected{fmt::format("{}: {}", argv[0], error.describe())};
  };
  auto errorPipe = makePipe();
  if (!errorPipe) return fail(errorPipe.error());
  std::optional<Pipe> lifeline;
  if (options.superviseTree) {
    auto p = makePipe();
    if (!p) return fail(p.error());
    lifeline = std::move(*p);
  }
  std::optional<Pipe> in, out, err;
  if (options.pipeStdin) {
    auto p = makePipe();
    if (!p) return fail(p.error());
    in = std::move(*p);
  }
  if (options.captureStdout) {
    auto p = makePipe();
    if (!p) return fail(p.error());
    out = std::move(*p);
  }
  if (options.captureStderr) {
    auto p = makePipe();
    if (!p) return fail(p.error());
    err = std::move(*p);
  }
  net::UniqueFd devNull(::open("/dev/null", O_RDONLY | O_CLOEXEC));

  std::vector<char*> rawArgv;
  for (const auto& arg : argv) rawArgv.push_back(const_cast<char*>(arg.c_str()));
  rawArgv.push_back(nullptr);

  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return fail(SysError{errno, "fork"});
  if (pid == 0 && options.superviseTree) {
    joinOwnGroupTiedTo(parent, 127);
    TreeSupervisorSetup setup;
    setup.argv = rawArgv.data();
    setup.outputFd = options.outputFd;
    setup.lifelineFd = lifeline->read.get();
    setup.execErrorPipe = errorPipe->write.get();
    setup.graceMs = static_cast<int>(options.treeGrace.count());
    runTreeSupervisor(setup);
  }
  if (pid == 0) {
    execChild(rawArgv.data(), in ? in->read.get() : devNull.get(), out ? out->write.get() : -1,
              err ? err->write.get() : -1, errorPipe->write.get(), parent);
  }
  // Also set the group from the parent side, so signal() works even before the child ran setpgid.
  ::setpgid(pid, pid);

  ChildProcess child;
  child.m_pid = pid;
  child.m_supervisesTree = options.superviseTree;
  if (lifeline) child.m_lifeline = std::move(lifeline->write);
  errorPipe->write.reset();
  int execErrno = 0;
  ssize_t got = 0;
  do {
    got = ::read(errorPipe->read.get(), &execErrno, sizeof(execErrno));
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof(execErrno))) {
    child.wait(Deadline::after(std::chrono::seconds(5)));
    return Unexpected{fmt::format("{}: exec: {} ({})", argv[0], errnoName(execErrno), errnoDescription(execErrno))};
  }
  if (in) child.m_stdin = std::move(in->write);
  if (out) child.m_stdout = std::move(out->read);
  if (err) child.m_stderr = std::move(err->read);
  return child;
}

Expected<ChildProcess, std::string> ChildProcess::fork(const std::function<int()>& body, std::string_view what) {
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return Unexpected{fmt::format("{}: {}", what, SysError{errno, "fork"}.describe())};
  if (pid == 0) {
    joinOwnGroupTiedTo(parent, kExitInternal);
    int code = kExitInternal;
    try {
      code = body();
    } catch (...) {
    }
    ::_exit(code);
  }
  // Also set the group from the parent side, so signal() works even before the child ran setpgid.
  ::setpgid(pid, pid);
  ChildProcess child;
  child.m_pid = pid;
  return child;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : m_pid(std::exchange(other.m_pid, -1)),
      m_supervisesTree(other.m_supervisesTree),
      m_lifeline(std::move(other.m_lifeline)),
      m_stdin(std::move(other.m_stdin)),
      m_stdout(std::move(other.m_stdout)),
      m_stderr(std::move(other.m_stderr)),
      m_stdoutBuffer(std::move(other.m_stdoutBuffer)),
      m_stderrBuffer(std::move(other.m_stderrBuffer)),
      m_status(std::exchange(other.m_status, std::nullopt)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (m_pid > 0 && !m_status) terminate();
    m_pid = std::exchange(other.m_pid, -1);
    m_supervisesTree = other.m_supervisesTree;
    m_lifeline = std::move(other.m_lifeline);
    m_stdin = std::move(other.m_stdin);
    m_stdout = std::move(other.m_stdout);
    m_stderr = std::move(other.m_stderr);
    m_stdoutBuffer = std::move(other.m_stdoutBuffer);
    m_stderrBuffer = std::move(other.m_stderrBuffer);
    m_status = std::exchange(other.m_status, std::nullopt);
  }
  return *this;
}

ChildProcess::~ChildProcess() {
  if (m_pid > 0 && !m_status) terminate();
}

std::optional<std::string> ChildProcess::readLine(Deadline deadline) {
  // Bounded by the deadline: each pass either finds a line, reads more, or waits on poll.
  for (;;) {
    if (auto newline = m_stdoutBuffer.find('\n'); newline != std::string::npos) {
      std::string line = m_stdoutBuffer.substr(0, newline);
      m_stdoutBuffer.erase(0, newline + 1);
      return line;
    }
    if (!m_stdout) return std::nullopt;
    pollfd entry{m_stdout.get(), POLLIN, 0};
    int ready = ::poll(&entry, 1, deadline.pollTimeoutMs());
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    char chunk[4096];
    ssize_t n = ::read(m_stdout.get(), chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      m_stdout.reset();
      continue;
    }
    m_stdoutBuffer.append(chunk, static_cast<std::size_t>(n));
  }
}

std::string ChildProcess::readAll(net::UniqueFd& fd, std::string& buffered, Deadline deadline) {
  while (fd) {
    pollfd entry{fd.get(), POLLIN, 0};
    int ready = ::poll(&entry, 1, deadline.pollTimeoutMs());
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) break;
    char chunk[65536];
    ssize_t n = ::read(fd.get(), chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      fd.reset();
      break;
    }
    buffered.append(chunk, static_cast<std::size_t>(n));
  }
  return std::exchange(buffered, {});
}

std::string ChildProcess::readAllStdout(Deadline deadline) { return readAll(m_stdout, m_stdoutBuffer, deadline); }
std::string ChildProcess::readAllStderr(Deadline deadline) { return readAll(m_stderr, m_stderrBuffer, deadline); }

void ChildProcess::signal(int signalNumber) const {
  if (m_pid > 0 && !m_status) ::kill(-m_pid, signalNumber);
}

std::optional<ExitStatus> ChildProcess::wait(Deadline deadline) {
  if (m_status) return m_status;
  if (m_pid <= 0) return std::nullopt;
  // waitpid has no timeout: poll WNOHANG with a short sleep, bounded by the deadline.
  auto pause = std::chrono::microseconds(200);
  for (;;) {
    int status = 0;
    pid_t done = ::waitpid(m_pid, &status, WNOHANG);
    if (done == m_pid) {
      m_status = decodeStatus(status);
      // Whatever the program left in its group (a shell's children) goes with it.
      ::kill(-m_pid, SIGKILL);
      return m_status;
    }
    if (done < 0 && errno != EINTR) {
      m_status = ExitStatus{};  // not our child any more (ECHILD): nothing left to reap
      return m_status;
    }
    if (deadline.expired()) return std::nullopt;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(20000));
  }
}

ExitStatus ChildProcess::terminate(std::chrono::milliseconds grace, const volatile std::sig_atomic_t* interrupt,
                                   std::chrono::milliseconds interruptedGrace) {
  if (m_status) return *m_status;
  // A moved-from object owns nothing; kill(-1, SIGKILL) below would signal every process we may signal.
  if (m_pid <= 0) return ExitStatus{};
  releaseLifeline();
  signal(SIGTERM);
  Deadline graceEnds = Deadline::after(grace);
  bool cut = false;
  // Bounded by graceEnds, which an interrupt only brings nearer; with a flag to watch, in slices.
  for (;;) {
    if (!cut && raised(interrupt)) {
      cut = true;
      graceEnds = graceEnds.orEarlier(Deadline::after(interruptedGrace));
    }
    auto slice = interrupt == nullptr ? graceEnds : Deadline::after(std::min(kInterruptCheck, graceEnds.remaining()));
    if (auto status = wait(slice)) return *status;
    if (graceEnds.expired()) break;
  }
  if (m_supervisesTree) {
    signal(SIGUSR1);
    if (auto status = wait(Deadline::after(kTreeKillWait))) return *status;
  }
  signal(SIGKILL);
  ::kill(m_pid, SIGKILL);
  if (auto status = wait(Deadline::after(std::chrono::seconds(10)))) return *status;
  return ExitStatus{};
}

ExitStatus ChildProcess::kill() {
  if (m_status) return *m_status;
  if (m_pid <= 0) return ExitStatus{};
  signal(SIGKILL);
  ::kill(m_pid, SIGKILL);
  if (auto status = wait(Deadline::after(std::chrono::seconds(10)))) return *status;
  return ExitStatus{};
}

}  // namespace sockspec::process
