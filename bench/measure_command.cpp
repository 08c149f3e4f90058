// sockspec-measure: runs one command with its stdout sent to /dev/null and prints how long it took and the
// most memory it held, for the capture benchmark (GNU time is not installed on the CI image):
//   result wall_ms=812.4 max_rss_kib=5120 exit=0
// The figures come from the kernel: wait4(2) returns the child's rusage, whose ru_maxrss is the peak
// resident set in KiB (getrusage(2)); wall time is steady_clock around fork and reap.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <vector>

#include "base/errno_names.h"
#include "base/exit_codes.h"

int main(int argc, char** argv) {
  using namespace sockspec;
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0) {
    std::fprintf(stderr,
                 "usage: sockspec-measure COMMAND [ARGS...]\n"
                 "Runs COMMAND (stdout to /dev/null, stderr kept) and prints 'result wall_ms=W max_rss_kib=K "
                 "exit=E' (E: the exit code, or 128+signal).\nExit codes: 0 measured (whatever COMMAND's "
                 "exit), 2 bad usage or COMMAND not runnable, 3 internal failure.\n");
    return argc < 2 ? kExitUsage : kExitOk;
  }
  auto started = std::chrono::steady_clock::now();
  pid_t child = ::fork();
  if (child < 0) {
    std::fprintf(stderr, "sockspec-measure: fork: %s\n", errnoName(errno).c_str());
    return kExitInternal;
  }
  if (child == 0) {
    int devNull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devNull < 0 || ::dup2(devNull, STDOUT_FILENO) < 0) ::_exit(127);
    ::execvp(argv[1], argv + 1);
    std::fprintf(stderr, "sockspec-measure: %s: %s\n", argv[1], errnoName(errno).c_str());
    ::_exit(127);
  }
  int status = 0;
  rusage usage{};
  while (::wait4(child, &status, 0, &usage) < 0) {
    if (errno == EINTR) continue;
    std::fprintf(stderr, "sockspec-measure: wait4: %s\n", errnoName(errno).c_str());
    return kExitInternal;
  }
  std::chrono::duration<double, std::milli> wall = std::chrono::steady_clock::now() - started;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (code == 127) return kExitUsage;  // not runnable; the child said why
  std::printf("result wall_ms=%.1f max_rss_kib=%ld exit=%d\n", wall.count(), usage.ru_maxrss, code);
  return kExitOk;
}
