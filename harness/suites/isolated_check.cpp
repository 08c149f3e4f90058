#include "suites/isolated_check.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <fmt/format.h>

#include "base/file_bytes.h"
#include "base/sys_error.h"
#include "net/unique_fd.h"
#include "process/child_process.h"

namespace sockspec::suites {

namespace {

// How often the wait for the check's process looks at the stop flag: an interrupt ends the check within this.
constexpr int kStopPollMs = 50;

// The outcome as the check's process writes it: one status byte, then the message.
std::string encode(const CheckOutcome& outcome) {
  return static_cast<char>('0' + static_cast<int>(outcome.status)) + outcome.message;
}

bool decode(const std::string& text, CheckOutcome& outcome) {
  if (text.empty()) return false;
  int status = text[0] - '0';
  if (status < 0 || status > static_cast<int>(report::Status::Skipped)) return false;
  outcome.status = static_cast<report::Status>(status);
  outcome.message = text.substr(1);
  return true;
}

}  // namespace

CheckOutcome runIsolatedCheck(const ServiceCheck& check, const CheckContext& context,
                              const volatile std::sig_atomic_t* stopRequested, const WhileRunning& alongside,
                              std::chrono::milliseconds grace) {
  auto interrupted = [&] { return stopRequested != nullptr && *stopRequested != 0; };
  if (interrupted()) return CheckOutcome::skip("not run: interrupted");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) return CheckOutcome::fail("harness: " + SysError{errno, "pipe2"}.describe());
  net::UniqueFd readEnd(fds[0]);
  net::UniqueFd writeEnd(fds[1]);
  auto child = process::ChildProcess::fork(
      [&]() {
        readEnd.reset();
        ::signal(SIGPIPE, SIG_IGN);
        // The parent's interrupt handler stays; the parent kills this process when it fires.
        (void)writeAllBytes(writeEnd.get(), encode(check.run(context)));
        return 0;
      },
      "service check");
  if (!child) return CheckOutcome::fail("harness: " + child.error());
  writeEnd.reset();

  Deadline deadline = Deadline::at(context.deadline.when() + grace);
  std::string received;
  // Bounded by the deadline: each pass reads, sees the end, or waits at most kStopPollMs.
  for (;;) {
    if (interrupted()) {
      (void)child->kill();
      return CheckOutcome::skip("not run: interrupted");
    }
    if (deadline.expired()) {
      (void)child->kill();
      return CheckOutcome::fail(fmt::format("did not finish within {} ms of its deadline and was killed",
                                            grace.count()));
    }
    pollfd entries[2] = {{readEnd.get(), POLLIN, 0}, {alongside.fd, POLLIN, 0}};
    int ready = ::poll(entries, alongside.fd >= 0 ? 2 : 1, std::min(kStopPollMs, deadline.pollTimeoutMs()));
    if (alongside.serve) alongside.serve();
    if (ready <= 0 || entries[0].revents == 0) continue;
    char chunk[4096];
    ssize_t n = ::read(readEnd.get(), chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) {
      received.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    break;  // the check's process closed its end: it is exiting
  }
  auto status = child->wait(Deadline::after(std::chrono::seconds(1)));
  if (!status) status = child->kill();
  CheckOutcome outcome;
  if (!decode(received, outcome)) {
    return CheckOutcome::fail(fmt::format("harness: the check's process ended ({}) without a verdict",
                                          status->describe()));
  }
  return outcome;
}

}  // namespace sockspec::suites
