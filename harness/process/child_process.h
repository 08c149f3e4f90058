// ChildProcess: the one owner of a started program. It runs in its own process group, dies with its parent
// (PR_SET_PDEATHSIG), and is stopped and reaped when the owner goes: SIGTERM to the group, a grace period,
// then SIGKILL. Nothing is left running.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/deadline.h"
#include "base/expected.h"
#include "net/unique_fd.h"

namespace sockspec::process {

// How long terminate() waits for a tree supervisor to SIGKILL, reap and exit after its grace period.
inline constexpr std::chrono::milliseconds kTreeKillWait{1000};

struct ExitStatus {
  bool exited = false;  // returned from main / called exit
  int code = 0;         // exit code when exited
  int signal = 0;       // terminating signal otherwise
  bool operator==(const ExitStatus&) const = default;
  std::string describe() const;  // "exit 0", "killed by SIGSEGV"
};

struct SpawnOptions {
  bool pipeStdin = false;      // else /dev/null
  bool captureStdout = true;   // else inherited
  bool captureStderr = false;  // else inherited; when captured, read with readStderr()
  // Run argv under a tree supervisor (tree_supervisor.h): everything it starts, daemonized or not, is its
  // descendant and is stopped with it; the child seen here is the supervisor, which ends as the last of
  // them did. stdout and stderr go to `outputFd` (bounded; -1: nowhere); the capture options do not apply.
  bool superviseTree = false;
  int outputFd = -1;
  std::chrono::milliseconds treeGrace{1500};  // the supervisor's SIGTERM-to-SIGKILL for what it owns
};

class ChildProcess {
 public:
  // fork + execvp of argv[0]. Fails with a message naming the program and errno (ENOENT when it does not
  // exist: the exec failure is passed back to the parent through a close-on-exec pipe).
  static Expected<ChildProcess, std::string> spawn(const std::vector<std::string>& argv,
                                                   const SpawnOptions& options = {});

  // fork(2) without exec: the child runs `body` and _exit()s with what it returns (3, sockspec's internal
  // failure, if it throws). Same ownership as spawn: own process group, dies with its parent, stdio
  // inherited, stopped and reaped by the owner. For work that must not share this process's fate (a scenario
  // job entering a network namespace and dropping its privileges). Fails naming `what` and errno.
  static Expected<ChildProcess, std::string> fork(const std::function<int()>& body, std::string_view what);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return m_pid; }
  int stdinFd() const { return m_stdin.get(); }
  void closeStdin() { m_stdin.reset(); }

  // One line of stdout without its newline; nullopt at EOF or when the deadline passes first.
  std::optional<std::string> readLine(Deadline deadline);
  // Everything the child writes to stdout until EOF or the deadline (what arrived so far).
  std::string readAllStdout(Deadline deadline);
  std::string readAllStderr(Deadline deadline);

  // Sends a signal to the child's process group.
  void signal(int signalNumber) const;
  // superviseTree: asks the supervisor to stop everything below it (works across users, unlike a signal).
  void releaseLifeline() { m_lifeline.reset(); }
  // The exit status once the child has exited within the deadline; nullopt if it is still running.
  std::optional<ExitStatus> wait(Deadline deadline);
  // SIGTERM, up to `grace` to exit, then SIGKILL; always reaps. Returns how it ended. A tree supervisor is
  // then asked to SIGKILL its whole tree (SIGUSR1, tree_supervisor.h) and given kTreeKillWait for it, so
  // that what the command daemonized is not orphaned; only then is the supervisor itself SIGKILLed. Once
  // `interrupt` is raised (interrupt_signals.h), before or during the wait, the grace ends `interruptedGrace`
  // from then at the latest.
  ExitStatus terminate(std::chrono::milliseconds grace = std::chrono::milliseconds(2000),
                       const volatile std::sig_atomic_t* interrupt = nullptr,
                       std::chrono::milliseconds interruptedGrace = std::chrono::milliseconds(0));
  // SIGKILL to the group at once; always reaps. Returns how it ended (it may have exited just before).
  ExitStatus kill();
  bool hasExited() const { return m_status.has_value(); }

 private:
  ChildProcess() = default;
  std::string readAll(net::UniqueFd& fd, std::string& buffered, Deadline deadline);

  pid_t m_pid = -1;
  bool m_supervisesTree = false;
  net::UniqueFd m_lifeline;  // superviseTree: closing it asks the supervisor to stop everything
  net::UniqueFd m_stdin;
  net::UniqueFd m_stdout;
  net::UniqueFd m_stderr;
  std::string m_stdoutBuffer;
  std::string m_stderrBuffer;
  std::optional<ExitStatus> m_status;
};

}  // namespace sockspec::process
