// The supervisor between sockspec and a server it starts (ChildProcess::spawn with superviseTree): a
// forked child that makes itself the child subreaper (PR_SET_CHILD_SUBREAPER, prctl(2)), runs the command,
// and so inherits every process the command leaves behind when it daemonizes (`setsid -f`, a double fork)
// or wraps itself in a shell (`cd dir && ./server`). Those escape the command's process group, so signalling
// the group cannot reach them; the supervisor can, because they become its children.
//
// It lives as long as any of them does, so "the server has ended" is "the supervisor has exited", and it
// exits as the last of them ended (the same code, or killed by the same signal), so that a daemon's
// SIGSEGV is seen as a SIGSEGV. Closing the lifeline pipe or SIGTERM asks it to stop them all: SIGTERM to
// each, up to the grace period, then SIGKILL, all reaped. SIGUSR1 asks it to SIGKILL them all at once (the
// owner's grace is over, or it was interrupted and has no time for one). It keeps at most kOutputLimit bytes of the
// command's stdout and stderr in the output file (the newest), so a chatty server cannot fill the disk.
//
// It runs between fork and exit in a process that may have had other threads: only async-signal-safe calls
// (raw syscalls, stack buffers, no allocation).
#pragma once

#include <cstddef>

namespace sockspec::process {

inline constexpr std::size_t kOutputLimit = 1 << 20;       // the output file never grows past this
inline constexpr std::size_t kOutputKeptOnCut = 64 << 10;  // the newest bytes kept when it is cut

struct TreeSupervisorSetup {
  char* const* argv = nullptr;  // the command (argv[0] searched in PATH)
  int outputFd = -1;            // the output file (its stdout and stderr), or -1 for /dev/null
  int lifelineFd = -1;          // read end: EOF or an error asks the supervisor to stop everything
  int execErrorPipe = -1;       // write end: the exec's errno is written here if it fails
  int graceMs = 1500;           // SIGTERM to SIGKILL
};

// Never returns: exits as described above.
[[noreturn]] void runTreeSupervisor(const TreeSupervisorSetup& setup);

}  // namespace sockspec::process
