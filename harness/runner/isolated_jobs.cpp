#include "runner/isolated_jobs.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "base/deadline.h"
#include "base/file_bytes.h"
#include "base/sys_error.h"
#include "base/temp_directory.h"
#include "net/unique_fd.h"
#include "process/child_process.h"
#include "runner/check_result_codec.h"
#include "runner/job_sandbox.h"
#include "runner/network_namespace.h"
#include "runner/scenario_execution.h"

namespace sockspec::runner {

namespace {

using report::CheckResult;
using report::Status;

CheckResult jobResult(const ScenarioJob& job, Status status, std::string message) {
  CheckResult result = describeCheck(*job.scenario, job.family);
  result.status = status;
  result.message = std::move(message);
  return result;
}

// One job whose process is running: its result arrives through `output` as it is written.
struct RunningJob {
  std::size_t index = 0;
  TempDirectory directory;  // removed here, in the parent, after the child is gone (even if killed)
  process::ChildProcess child;
  net::UniqueFd output;
  std::string received;
  Deadline deadline;
};

// Forks the job's process: it enters its sandbox, runs the scenario, writes its result and exits. The
// error is the job's failed result.
Expected<RunningJob, CheckResult> startJob(const ScenarioJob& job, std::size_t index, SandboxSettings settings,
                                           const JobOptions& options) {
  auto directory = TempDirectory::create("scenario");
  if (!directory) return Unexpected{jobResult(job, Status::Failed, "runner: " + directory.error())};
  if (options.runAs && ::chown(directory->path().c_str(), options.runAs->uid, options.runAs->gid) != 0) {
    return Unexpected{jobResult(job, Status::Failed, fmt::format("runner: {}: {}", directory->path(),
                                                                 SysError{errno, "chown"}.describe()))};
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) < 0) {
    return Unexpected{jobResult(job, Status::Failed, "runner: " + SysError{errno, "pipe2"}.describe())};
  }
  net::UniqueFd readEnd(fds[0]);
  net::UniqueFd writeEnd(fds[1]);
  const std::string& workDirectory = directory->path();
  auto child = process::ChildProcess::fork(
      [&]() {
        readEnd.reset();
        ::signal(SIGPIPE, SIG_IGN);
        CheckResult result = describeCheck(*job.scenario, job.family);
        JobSandbox sandbox(*job.scenario, job.family, workDirectory, settings);
        if (auto entered = sandbox.enter(); !entered) {
          result.status = Status::Failed;
          result.message = entered.error();
        } else {
          result = executeScenario(*job.scenario, job.family, workDirectory, sandbox.context());
          sandbox.finish(result);
        }
        (void)writeAllBytes(writeEnd.get(), encodeJobResult(result));
        return 0;
      },
      "runner");
  if (!child) return Unexpected{jobResult(job, Status::Failed, child.error())};
  return RunningJob{index, std::move(*directory), std::move(*child), std::move(readEnd), std::string(),
                    Deadline::after(options.jobDeadline)};
}

// The result of a job whose process closed its end of the pipe.
CheckResult collectJob(const ScenarioJob& job, RunningJob& running) {
  // It has closed its pipe, so it is exiting: a second is plenty, then it is killed.
  auto status = running.child.wait(Deadline::after(std::chrono::seconds(1)));
  if (!status) status = running.child.kill();
  CheckResult result = describeCheck(*job.scenario, job.family);
  auto decoded = decodeJobResult(running.received, result);
  if (!decoded) {
    auto unreadable = jobResult(job, Status::Failed,
                                fmt::format("runner: unreadable result from the scenario's process: {}", decoded.error()));
    unreadable.harnessFault = true;
    return unreadable;
  }
  if (!*decoded) {
    // A crash (or an exit before the result was written) is the harness's failure: no step got a verdict.
    auto crashed = jobResult(job, Status::Failed,
                             fmt::format("runner: the scenario's process ended ({}) without a result: a sockspec "
                                         "failure, not the scenario's verdict",
                                         status->describe()));
    crashed.harnessFault = true;
    return crashed;
  }
  return result;
}

}  // namespace

CheckResult notRunResult(const ScenarioJob& job, std::string reason) {
  return jobResult(job, Status::Skipped, std::move(reason));
}

bool canCreateNetworkNamespaces() {
  // Asked once per process: what this process may do does not change during a run, and the scheduler is
  // started once per target scenario when they run one at a time (app/run_execution.cpp).
  static const bool can = [] {
    auto child = process::ChildProcess::fork([] { return enterPrivateNetworkNamespace() ? 0 : 1; }, "netns probe");
    if (!child) return false;
    auto status = child->wait(Deadline::after(std::chrono::seconds(5)));
    if (!status) status = child->kill();
    return status->exited && status->code == 0;
  }();
  return can;
}

std::vector<CheckResult> runIsolatedJobs(const std::vector<ScenarioJob>& jobs, const JobOptions& options,
                                         const volatile std::sig_atomic_t* stopRequested) {
  std::vector<CheckResult> results(jobs.size());
  JobEnvironment environment;
  environment.namespacePerJob = options.isolation == Isolation::Namespace ||
                                (options.isolation == Isolation::Auto && canCreateNetworkNamespaces());
  environment.root = ::geteuid() == 0;
  environment.target = options.target ? &*options.target : nullptr;
  std::string noNamespaceReason = options.isolation == Isolation::None
                                      ? "needs the scenario's own network namespace (--isolation none)"
                                      : "needs CAP_NET_RAW and the scenario's own network namespace (run as root)";
  std::size_t parallel = std::max<std::size_t>(options.parallel, 1);
  std::vector<RunningJob> running;
  std::size_t next = 0;
  auto publish = [&](std::size_t index, CheckResult result) {
    results[index] = std::move(result);
    if (options.onResult) options.onResult(results[index]);
  };

  // Bounded: every pass starts a job, finishes one, or waits toward the earliest job deadline.
  while (next < jobs.size() || !running.empty()) {
    if (stopRequested != nullptr && *stopRequested != 0) {
      for (auto& job : running) {
        (void)job.child.kill();
        publish(job.index, jobResult(jobs[job.index], Status::Skipped, "not run: interrupted"));
      }
      running.clear();
      for (; next < jobs.size(); ++next) publish(next, jobResult(jobs[next], Status::Skipped, "not run: interrupted"));
      break;
    }
    while (running.size() < parallel && next < jobs.size()) {
      std::size_t index = next++;
      const ScenarioJob& job = jobs[index];
      Admission admission = admitJob(*job.scenario, job.family, environment);
      if (admission.skipReason) {
        publish(index, jobResult(job, Status::Skipped, *admission.skipReason));
        continue;
      }
      SandboxSettings settings;
      settings.placement = admission.placement;
      settings.hostStackReason =
          job.scenario->hasRequirement("target") && environment.namespacePerJob
              ? "runs in the host's network stack, where the run's one server under test is: no capture"
              : noNamespaceReason;
      settings.captureDirectory = options.captureDirectory;
      settings.runAs = options.runAs;
      settings.target = environment.target;
      auto started = startJob(job, index, std::move(settings), options);
      if (!started) {
        publish(index, std::move(started.error()));
        continue;
      }
      running.push_back(std::move(*started));
    }
    if (running.empty()) continue;

    std::vector<pollfd> watched;
    Deadline wake = Deadline::after(std::chrono::milliseconds(200));
    for (const auto& job : running) {
      watched.push_back(pollfd{job.output.get(), POLLIN, 0});
      wake = wake.orEarlier(job.deadline);
    }
    int ready = ::poll(watched.data(), watched.size(), wake.pollTimeoutMs());
    if (ready < 0 && errno != EINTR) break;

    for (std::size_t i = running.size(); i-- > 0;) {
      RunningJob& job = running[i];
      bool finished = false;
      if (ready > 0 && (watched[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        char chunk[4096];
        ssize_t n = ::read(job.output.get(), chunk, sizeof(chunk));
        if (n > 0) job.received.append(chunk, static_cast<std::size_t>(n));
        finished = n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN);
      }
      if (finished) {
        publish(job.index, collectJob(jobs[job.index], job));
      } else if (job.deadline.expired()) {
        (void)job.child.kill();
        CheckResult result = jobResult(jobs[job.index], Status::Failed,
                                       fmt::format("did not finish within {} ms and was killed",
                                                   options.jobDeadline.count()));
        result.durationMs = static_cast<double>(options.jobDeadline.count());
        publish(job.index, std::move(result));
      } else {
        continue;
      }
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  return results;
}

}  // namespace sockspec::runner
