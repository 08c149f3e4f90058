#include "support/program_run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include <catch2/catch.hpp>

#include "base/deadline.h"
#include "base/display_escape.h"
#include "net/unique_fd.h"

namespace sockspec::testing {

namespace {

// A child that exits without reading all of its stdin must cost the writer EPIPE, not the test process its
// life (write(2) raises SIGPIPE on a pipe with no reader).
void ignoreSigpipe() {
  static const bool once = [] {
    ::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)once;
}

// Writes `input` to the non-blocking `fd` until done, the reader goes away (EPIPE) or the deadline passes,
// then closes it so that the child sees EOF. Runs on its own thread: no Catch2 assertions here.
void feedInput(net::UniqueFd fd, std::string input, Deadline deadline) {
  std::size_t done = 0;
  while (done < input.size()) {
    ssize_t n = ::write(fd.get(), input.data() + done, input.size() - done);
    if (n > 0) {
      done += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) break;  // EPIPE: the child stopped reading; it will say so itself
    pollfd entry{fd.get(), POLLOUT, 0};
    int ready = ::poll(&entry, 1, deadline.pollTimeoutMs());
    if (ready == 0 || (ready < 0 && errno != EINTR)) break;
  }
}

}  // namespace

std::string ProgramRun::describe() const {
  std::string text = status ? status->describe()
                            : "still running at the deadline (then " + stopped.describe() + ")";
  return text + "; stderr: '" + escapeForDisplay(err, 600) + "'; stdout: '" + escapeForDisplay(out, 300) + "'";
}

ProgramRun runProgram(const std::vector<std::string>& argv, std::string_view input,
                      std::chrono::milliseconds limit) {
  ignoreSigpipe();
  auto deadline = Deadline::after(limit);
  process::SpawnOptions options;
  options.pipeStdin = true;
  options.captureStdout = true;
  options.captureStderr = true;
  auto spawned = process::ChildProcess::spawn(argv, options);
  if (!spawned) FAIL("could not start " << argv.front() << ": " << spawned.error());
  process::ChildProcess child = std::move(*spawned);

  // The writer gets its own descriptor for the pipe, so that the child's end of input is the writer's close.
  net::UniqueFd stdinCopy(::fcntl(child.stdinFd(), F_DUPFD_CLOEXEC, 0));
  child.closeStdin();
  REQUIRE(stdinCopy);
  REQUIRE(::fcntl(stdinCopy.get(), F_SETFL, O_NONBLOCK) == 0);

  ProgramRun run;
  std::thread writer(feedInput, std::move(stdinCopy), std::string(input), deadline);
  // stdout and stderr are separate members of ChildProcess, so they can be drained at the same time.
  std::thread errReader([&] { run.err = child.readAllStderr(deadline); });
  run.out = child.readAllStdout(deadline);
  errReader.join();
  writer.join();
  run.status = child.wait(deadline);
  if (!run.status) run.stopped = child.terminate(std::chrono::milliseconds(500));
  return run;
}

std::vector<std::string> splitLines(std::string_view text) {
  std::vector<std::string> lines;
  while (!text.empty()) {
    auto newline = text.find('\n');
    if (newline == std::string_view::npos) {
      lines.emplace_back(text);
      break;
    }
    lines.emplace_back(text.substr(0, newline));
    text.remove_prefix(newline + 1);
  }
  return lines;
}

}  // namespace sockspec::testing
