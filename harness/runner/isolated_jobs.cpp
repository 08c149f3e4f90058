#include "runner/isolated_jobs.h"

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/deadline.h"
#include "base/sys_error.h"
#include "capture/live_capture.h"
#include "net/unique_fd.h"
#include "runner/network_namespace.h"
#include "runner/privilege_drop.h"
#include "runner/scenario_execution.h"
#include "runner/work_directory.h"

namespace sockspec::runner {

namespace {

using report::CheckResult;
using report::Status;

nlohmann::json toJson(const CheckResult& result) {
  return {{"status", static_cast<int>(result.status)},
          {"line", result.line},
          {"message", result.message},
          {"duration_ms", result.durationMs},
          {"capture_file", result.captureFile},
          {"capture_received", result.captureReceived},
          {"capture_dropped", result.captureDropped},
          {"wire_asserted", result.wireAsserted},
          {"wire_skipped", result.wireSkipped},
          {"wire_skip_reason", result.wireSkipReason}};
}

void fromJson(const nlohmann::json& json, CheckResult& result) {
  result.status = static_cast<Status>(json.at("status").get<int>());
  result.line = json.at("line").get<int>();
  result.message = json.at("message").get<std::string>();
  result.durationMs = json.at("duration_ms").get<double>();
  result.captureFile = json.at("capture_file").get<std::string>();
  result.captureReceived = json.at("capture_received").get<std::uint64_t>();
  result.captureDropped = json.at("capture_dropped").get<std::uint64_t>();
  result.wireAsserted = json.at("wire_asserted").get<int>();
  result.wireSkipped = json.at("wire_skipped").get<int>();
  result.wireSkipReason = json.at("wire_skip_reason").get<std::string>();
}

CheckResult skipped(const ScenarioJob& job, std::string reason) {
  CheckResult result = describeCheck(*job.scenario, job.family);
  result.status = Status::Skipped;
  result.message = std::move(reason);
  return result;
}

// The pcap file name of a job: "<scenario-id>.<family>.pcap".
std::string captureFileName(const ScenarioJob& job) {
  return fmt::format("{}.{}.pcap", job.scenario->id, scenario::familyName(job.family));
}

bool isTcp(scenario::Family family) { return family == scenario::Family::Tcp4 || family == scenario::Family::Tcp6; }

// In the child, inside the job's own network namespace: opens the capture the job needs (every job with
// --capture DIR; a TCP job with wire steps in any case, then into its private work directory, removed by the
// parent), or says in `wire.missingReason` why there is none.
std::optional<capture::LiveCapture> openJobCapture(const ScenarioJob& job, const std::string& directory,
                                                   const std::string& captureDirectory, std::string& path,
                                                   std::string& failure, JobContext& wire) {
  bool wanted = !captureDirectory.empty() || (hasWireSteps(*job.scenario) && isTcp(job.family));
  if (!wanted) return std::nullopt;
  if (!hasRawCaptureCapability()) {
    wire.missingReason = "needs CAP_NET_RAW to capture (run as root)";
    return std::nullopt;
  }
  path = captureDirectory.empty() ? directory + "/wire.pcap" : captureDirectory + "/" + captureFileName(job);
  auto opened = capture::LiveCapture::open("lo", path);
  if (!opened) {
    failure = "capture: " + opened.error();
    wire.missingReason = "the capture could not be opened: " + opened.error();
    path.clear();
    return std::nullopt;
  }
  return std::move(*opened);
}

// In the child: execute the job, write its result to `out`, and never return.
[[noreturn]] void runChild(const ScenarioJob& job, bool useNamespace, const std::string& noNamespaceReason,
                          const std::string& directory, int out, pid_t parent, const JobOptions& options) {
  const std::string& captureDirectory = options.captureDirectory;
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(3);
  ::signal(SIGPIPE, SIG_IGN);
  CheckResult result = describeCheck(*job.scenario, job.family);
  bool ready = true;
  std::optional<capture::LiveCapture> capture;
  std::string capturePath;
  std::string captureFailure;
  JobContext wire;
  wire.missingReason = noNamespaceReason;
  if (options.target) wire.target = options.target->address;
  if (useNamespace) {
    if (auto entered = enterPrivateNetworkNamespace(); !entered) {
      result.status = Status::Failed;
      result.message = "runner: " + entered.error();
      ready = false;
    } else if (auto set = applySysctls(job.scenario->sysctls); !set) {
      result.status = Status::Failed;
      result.message = "runner: " + set.error();
      ready = false;
    } else {
      wire.ownNetworkNamespace = true;
      capture = openJobCapture(job, directory, captureDirectory, capturePath, captureFailure, wire);
      wire.capture = capture ? &*capture : nullptr;
    }
  }
  // Like tcpdump -Z: the namespace, its sysctls and the capture handle were the only privileged steps.
  if (ready && ::geteuid() == 0) {
    if (auto dropped = dropPrivileges(options.runAs); !dropped) {
      result.status = Status::Failed;
      result.message = "runner: giving up privileges: " + dropped.error();
      ready = false;
    }
  }
  if (ready) {
    result = executeScenario(*job.scenario, job.family, directory, wire);
    if (capture) {
      // The last close provokes packets after the last step (FIN, ACK, RST): for the pcap file, wait until the
      // wire is quiet. A capture made only for the wire steps has served them already: just count drops.
      bool keepFile = !captureDirectory.empty();
      capture::CaptureStats stats = capture->finish(std::chrono::milliseconds(keepFile ? 20 : 0),
                                                    std::chrono::milliseconds(keepFile ? 300 : 0));
      if (!captureDirectory.empty()) {
        result.captureFile = capturePath;
        result.captureReceived = stats.received;
        result.captureDropped = stats.dropped;
      }
      if (stats.dropped > 0) {
        result.message += fmt::format("{}capture dropped {} of {} packets: the wire record{} is incomplete",
                                      result.message.empty() ? "" : "; ", stats.dropped, stats.received,
                                      captureDirectory.empty() ? "" : " in " + capturePath);
      }
    } else if (!captureDirectory.empty() && !captureFailure.empty()) {
      result.message += (result.message.empty() ? "" : "; ") + captureFailure;
    }
  }
  std::string text = toJson(result).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::size_t done = 0;
  // Bounded: every pass writes something or gives up.
  while (done < text.size()) {
    ssize_t n = ::write(out, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::_exit(0);
}

struct RunningJob {
  std::size_t index = 0;
  WorkDirectory directory;  // removed here, in the parent, after the child is gone (even if killed)
  pid_t pid = -1;
  net::UniqueFd output;
  std::string received;
  Deadline deadline = Deadline::after(std::chrono::milliseconds(0));
};

// Reaps `pid`, waiting at most a second (it has closed its pipe, so it is exiting), then kills it.
int reap(pid_t pid) {
  int status = 0;
  Deadline deadline = Deadline::after(std::chrono::seconds(1));
  // Bounded by the deadline, then SIGKILL and a blocking wait, which cannot last.
  while (!deadline.expired()) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

std::string describeStatus(int status) {
  if (WIFEXITED(status)) return fmt::format("exit {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = ::sigabbrev_np(WTERMSIG(status));
    return name != nullptr ? fmt::format("killed by SIG{}", name) : fmt::format("signal {}", WTERMSIG(status));
  }
  return "ended";
}

}  // namespace

bool canCreateNetworkNamespaces() {
  pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) ::_exit(enterPrivateNetworkNamespace() ? 0 : 1);
  int status = reap(pid);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::vector<CheckResult> runIsolatedJobs(const std::vector<ScenarioJob>& jobs, const JobOptions& options,
                                         const volatile std::sig_atomic_t* stopRequested) {
  std::vector<CheckResult> results(jobs.size());
  bool useNamespace = options.isolation == Isolation::Namespace ||
                      (options.isolation == Isolation::Auto && canCreateNetworkNamespaces());
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
        ::kill(job.pid, SIGKILL);
        (void)reap(job.pid);
        publish(job.index, skipped(jobs[job.index], "interrupted"));
      }
      running.clear();
      for (; next < jobs.size(); ++next) publish(next, skipped(jobs[next], "interrupted"));
      break;
    }
    while (running.size() < parallel && next < jobs.size()) {
      std::size_t index = next++;
      const ScenarioJob& job = jobs[index];
      bool needsNamespace = !job.scenario->sysctls.empty() || job.scenario->hasRequirement("netns");
      bool needsRoot = job.scenario->hasRequirement("root");
      bool needsTarget = job.scenario->hasRequirement("target");
      if (needsTarget && !options.target) {
        publish(index, skipped(job, "needs a server under test (run --target URL or --target-cmd CMD)"));
        continue;
      }
      if (needsTarget && options.target->family != job.family) {
        publish(index, skipped(job, fmt::format("the server under test, {}, is not {}", options.target->description,
                                                scenario::familyName(job.family))));
        continue;
      }
      if (needsTarget && needsNamespace) {
        publish(index, skipped(job, "a scenario with 'requires target' runs in the host's network stack, where "
                                    "the server under test is, so it cannot have its own namespace or sysctls"));
        continue;
      }
      if (needsNamespace && !useNamespace) {
        publish(index, skipped(job, "needs its own network namespace (run as root, or with CAP_SYS_ADMIN)"));
        continue;
      }
      if (needsRoot && ::geteuid() != 0) {
        publish(index, skipped(job, "needs root"));
        continue;
      }
      auto directory = WorkDirectory::create("scenario");
      if (!directory) {
        CheckResult failed = describeCheck(*job.scenario, job.family);
        failed.status = Status::Failed;
        failed.message = "runner: " + directory.error();
        publish(index, std::move(failed));
        continue;
      }
      if (options.runAs && ::chown(directory->path().c_str(), options.runAs->uid, options.runAs->gid) != 0) {
        CheckResult failed = describeCheck(*job.scenario, job.family);
        failed.status = Status::Failed;
        failed.message = fmt::format("runner: {}: {}", directory->path(), SysError{errno, "chown"}.describe());
        publish(index, std::move(failed));
        continue;
      }
      int fds[2];
      if (::pipe2(fds, O_CLOEXEC) < 0) {
        CheckResult failed = describeCheck(*job.scenario, job.family);
        failed.status = Status::Failed;
        failed.message = "runner: " + SysError{errno, "pipe2"}.describe();
        publish(index, std::move(failed));
        continue;
      }
      net::UniqueFd readEnd(fds[0]);
      net::UniqueFd writeEnd(fds[1]);
      pid_t parent = ::getpid();
      pid_t pid = ::fork();
      if (pid == 0) {
        readEnd.reset();
        // A target scenario stays in the host's network stack, where the server under test is.
        runChild(job, useNamespace && !needsTarget,
                 needsTarget ? std::string("runs in the host's network stack, where the server under test is: "
                                           "no capture")
                             : noNamespaceReason,
                 directory->path(), writeEnd.get(), parent, options);
      }
      if (pid < 0) {
        CheckResult failed = describeCheck(*job.scenario, job.family);
        failed.status = Status::Failed;
        failed.message = "runner: " + SysError{errno, "fork"}.describe();
        publish(index, std::move(failed));
        continue;
      }
      writeEnd.reset();
      running.push_back(RunningJob{index, std::move(*directory), pid, std::move(readEnd), std::string(),
                                   Deadline::after(options.jobDeadline)});
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
        int status = reap(job.pid);
        CheckResult result = describeCheck(*jobs[job.index].scenario, jobs[job.index].family);
        auto parsed = nlohmann::json::parse(job.received, nullptr, false);
        if (!parsed.is_discarded() && parsed.is_object()) {
          try {
            fromJson(parsed, result);
          } catch (const nlohmann::json::exception& error) {
            result.status = Status::Failed;
            result.message = fmt::format("runner: unreadable result from the scenario's process: {}", error.what());
          }
        } else {
          result.status = Status::Failed;
          result.message = fmt::format("runner: the scenario's process ended ({}) without a result", describeStatus(status));
        }
        publish(job.index, std::move(result));
        running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
        continue;
      }
      if (job.deadline.expired()) {
        ::kill(job.pid, SIGKILL);
        (void)reap(job.pid);
        CheckResult result = describeCheck(*jobs[job.index].scenario, jobs[job.index].family);
        result.status = Status::Failed;
        result.message = fmt::format("did not finish within {} ms and was killed", options.jobDeadline.count());
        result.durationMs = static_cast<double>(options.jobDeadline.count());
        publish(job.index, std::move(result));
        running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
  }
  return results;
}

}  // namespace sockspec::runner
