// JobSandbox: what a scenario job's process sets up before its first step and gives up after, in one place:
// its own network namespace with the scenario's sysctls, the capture on that namespace's lo (every job with
// --capture DIR, a TCP job with wire steps in any case), then every privilege dropped, as tcpdump -Z does.
// A job that starts its own server under test (TargetUnderTest::perJob) starts it here, inside the
// namespace and before the privileges go, and stops it in finish(), saying what became of it.
// It lives in the job's child process; the scheduler (isolated_jobs.h) forks that process.
#pragma once

#include <optional>
#include <string>

#include "capture/live_capture.h"
#include "process/target_session.h"
#include "report/run_result.h"
#include "runner/job_admission.h"
#include "runner/privilege_drop.h"
#include "runner/scenario_execution.h"
#include "scenario/scenario.h"

namespace sockspec::runner {

struct SandboxSettings {
  JobPlacement placement = JobPlacement::HostStack;
  std::string hostStackReason;   // why a host-stack job has no capture, for its skipped wire steps
  std::string captureDirectory;  // run --capture DIR ("" for none)
  std::optional<RunAs> runAs;    // run --user NAME
  const TargetUnderTest* target = nullptr;
};

class JobSandbox {
 public:
  JobSandbox(const scenario::Scenario& scenario, scenario::Family family, std::string workDirectory,
             SandboxSettings settings);
  JobSandbox(const JobSandbox&) = delete;  // the context points at the capture it owns
  JobSandbox& operator=(const JobSandbox&) = delete;

  // Enters the namespace, sets the sysctls, opens the capture, drops privileges. The error is the message
  // the job fails with ("runner: unshare: EPERM ...").
  Expected<void, std::string> enter();
  // What the steps see: the capture (or why there is none), the namespace, the target.
  const JobContext& context() const { return m_context; }
  // After the steps: stops the job's own server (a failed check says whether it had died or stopped
  // answering; a server that died fails the check), ends the capture and records in `result` the pcap,
  // its counts and any drop or failure.
  void finish(report::CheckResult& result);

 private:
  void openCapture();
  Expected<void, std::string> startTarget();
  void stopTarget(report::CheckResult& result);
  void checkTargetEvents(report::CheckResult& result);

  const scenario::Scenario& m_scenario;
  scenario::Family m_family;
  std::string m_workDirectory;
  SandboxSettings m_settings;
  std::optional<process::TargetSession> m_target;  // the job's own server, when it starts one
  std::optional<capture::LiveCapture> m_capture;
  std::string m_captureFailure;  // why the capture could not be opened: "PATH: open: EACCES (...)"
  JobContext m_context;
};

}  // namespace sockspec::runner
