#include "app/run_execution.h"

#include <chrono>

#include <fmt/format.h>

#include "app/capture_folder.h"
#include "app/target_events_check.h"
#include "base/temp_directory.h"
#include "net/sock_addr.h"
#include "net/socket_kind.h"
#include "process/target_command.h"
#include "process/target_session.h"
#include "report/console_report.h"
#include "runner/claim_verdicts.h"
#include "runner/isolated_jobs.h"
#include "runner/privilege_drop.h"
#include "suites/loopback_capture.h"

namespace sockspec::app {

namespace {

using Clock = std::chrono::steady_clock;

double millisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// After the checks: stops a started target (noting if it had ended on its own) and appends the lifecycle
// check of its --events log.
void closeTarget(process::TargetSession& target, report::ConsoleReporter& console, std::FILE* consoleStream,
                 report::RunResult& result) {
  if (auto ended = target.stop()) std::fprintf(consoleStream, "note: the target ended during the run (%s)\n", ended->c_str());
  if (!target.eventsLogPaths().empty()) {
    report::CheckResult order = checkEventsOrder(target);
    console.checkFinished(order);
    result.checks.push_back(std::move(order));
  }
}

// Service checks are captured on the host's lo (suites/check_capture.h): into --capture DIR (`folder`, made
// before the target was started), where the pcaps stay, or else into `scratch` (the run's temporary
// directory), where each is removed after its check and serves only a failed check's account. Without
// CAP_NET_RAW, or against a target that is not on loopback, nothing is captured; that is said once, here.
Expected<void, std::string> prepareServiceCaptures(const RunPlan& plan, const std::string& folder,
                                                   const net::Endpoint& target,
                                                   std::optional<TempDirectory>& scratch,
                                                   suites::SuiteOptions& options) {
  std::optional<std::string> why = suites::whyNotCapturedOnLoopback(target);
  if (!why && !runner::hasRawCaptureCapability()) why = "capturing on lo needs CAP_NET_RAW (run as root)";
  if (why) {
    std::fprintf(stderr, "sockspec run: the checks are not captured: %s%s\n", why->c_str(),
                 plan.captureDirectory.empty() ? "" : "; --capture gets no files");
    return {};
  }
  if (!folder.empty()) {
    options.captureDirectory = folder;
    options.keepCaptures = true;
    return {};
  }
  auto made = TempDirectory::create("captures");
  if (!made) return Unexpected{"capture: " + made.error()};
  scratch.emplace(std::move(*made));
  options.captureDirectory = scratch->path();
  return {};
}

Expected<RunOutcome, std::string> executeServiceSuite(const RunPlan& plan,
                                                      const volatile std::sig_atomic_t* stopRequested) {
  // --capture DIR before anything starts: a folder nobody can write is bad input, not a lost pcap per check.
  std::optional<OutputFolder> folder;
  if (!plan.captureDirectory.empty() && runner::hasRawCaptureCapability()) {
    auto made = prepareCaptureFolder(plan.captureDirectory, std::nullopt);
    if (!made) return Unexpected{made.error()};
    folder = *made;
  }
  process::TargetSpec spec = *plan.target;
  spec.stopRequested = stopRequested;
  auto target = process::TargetSession::open(spec);
  if (!target) {
    if (folder) folder->removeIfUnused();
    return Unexpected{target.error()};
  }
  suites::SuiteOptions options = plan.suiteOptions;
  options.session = &*target;
  options.stopRequested = stopRequested;
  std::optional<TempDirectory> scratch;
  if (auto prepared = prepareServiceCaptures(plan, folder ? folder->path() : std::string(), target->endpoint(), scratch, options); !prepared) {
    return Unexpected{prepared.error()};
  }

  std::FILE* consoleStream = plan.outputs.consoleStream();
  report::ConsoleReporter console(consoleStream, report::ConsoleOptions{plan.outputs.color});
  auto begun = Clock::now();
  RunOutcome outcome;
  report::RunResult& result = outcome.result;
  result = suites::runServiceSuite(plan.service->name, target->endpoint(), options);
  result.suite = plan.suiteName;
  result.elapsedMs = millisecondsSince(begun);
  for (const auto& check : result.checks) console.checkFinished(check);
  closeTarget(*target, console, consoleStream, result);
  console.runFinished(result);
  return outcome;
}

// Each job starts its own server: what the jobs need to know of it before any is started (its family from
// the URL; the port is chosen by each job).
Expected<runner::TargetUnderTest, std::string> perJobTarget(const process::TargetSpec& spec) {
  std::string url = spec.url.empty() ? std::string(process::kDefaultTargetUrl) : spec.url;
  std::string parseable = process::substitutePort(url, 0);
  auto endpoint = net::parseEndpoint(parseable);
  if (!endpoint) return Unexpected{"--target: " + net::formatEndpointError(parseable, endpoint.error())};
  runner::TargetUnderTest target;
  target.family = net::socketKindOf(*endpoint);
  target.description = url;  // "tcp://127.0.0.1:{port}": each job picks its own port
  target.perJob = spec;  // each job checks its own server's {events} log (runner/job_sandbox.h)
  return target;
}

// The jobs that reach the run's one server run one at a time after the others, so that when it dies the
// check it died in is known: that check says so (CheckResult::target), and the ones after it are not run.
// Jobs that start a server of their own also run one at a time: their servers could collide on a fixed
// port or unix path, and a server's start-up is what dominates them anyway.
std::vector<report::CheckResult> runJobs(const std::vector<runner::ScenarioJob>& jobs, runner::JobOptions options,
                                         process::TargetSession* sharedTarget,
                                         const volatile std::sig_atomic_t* stopRequested) {
  std::vector<runner::ScenarioJob> others;
  std::vector<std::size_t> otherIndexes, targetIndexes;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (options.target && jobs[i].scenario->hasRequirement("target")) {
      targetIndexes.push_back(i);
    } else {
      others.push_back(jobs[i]);
      otherIndexes.push_back(i);
    }
  }
  std::vector<report::CheckResult> results(jobs.size());
  auto firstPass = runner::runIsolatedJobs(others, options, stopRequested);
  for (std::size_t i = 0; i < others.size(); ++i) results[otherIndexes[i]] = std::move(firstPass[i]);

  std::optional<std::string> notRun;
  auto onResult = std::exchange(options.onResult, nullptr);
  options.parallel = 1;
  for (std::size_t index : targetIndexes) {
    report::CheckResult& check = results[index];
    if (notRun) {
      check = runner::notRunResult(jobs[index], *notRun);
    } else {
      check = std::move(runner::runIsolatedJobs({jobs[index]}, options, stopRequested).front());
      if (sharedTarget != nullptr && check.status == report::Status::Failed) {
        if (auto trouble = sharedTarget->troubleAfterCheck()) check.target = *trouble;
        if (auto ended = sharedTarget->describeExit()) notRun = fmt::format("not run: the target died during {} ({})", check.id, *ended);
      }
    }
    if (onResult) onResult(check);
  }
  return results;
}

// --capture DIR: made now, writable by the jobs' user; dropped with a warning when jobs get no namespace of
// their own to capture in.
Expected<std::optional<OutputFolder>, std::string> prepareCaptureDirectory(const RunPlan& plan) {
  if (plan.captureDirectory.empty()) return std::optional<OutputFolder>();
  if (plan.isolation == runner::Isolation::None || !runner::canCreateNetworkNamespaces()) {
    // Capture is done on lo inside each scenario's own namespace, which needs privileges.
    std::fprintf(stderr, "sockspec run: --capture needs a network namespace per scenario (run as root); "
                         "the run goes on without captures\n");
    return std::optional<OutputFolder>();
  }
  auto folder = prepareCaptureFolder(plan.captureDirectory, plan.runAs);
  if (!folder) return Unexpected{folder.error()};
  return std::optional<OutputFolder>(std::move(*folder));
}

Expected<RunOutcome, std::string> executeScenarios(const RunPlan& plan,
                                                    const volatile std::sig_atomic_t* stopRequested) {
  std::FILE* consoleStream = plan.outputs.consoleStream();
  report::ConsoleReporter console(consoleStream, report::ConsoleOptions{plan.outputs.color});
  runner::JobOptions options;
  options.parallel = plan.parallel;
  options.isolation = plan.isolation;
  options.jobDeadline = plan.jobDeadline;
  options.onResult = [&](const report::CheckResult& check) { console.checkFinished(check); };
  auto capture = prepareCaptureDirectory(plan);
  if (!capture) return Unexpected{capture.error()};
  options.captureDirectory = *capture ? (*capture)->path() : std::string();
  auto dropCapture = [&] {
    if (*capture) (*capture)->removeIfUnused();
  };
  options.runAs = plan.runAs;

  // Scenarios that say 'requires target' connect to the server under test (connect-target): each job's own
  // (a command, by default), or the run's one server (--keep-target, --target URL).
  std::optional<process::TargetSession> target;
  if (plan.target && plan.target->freshPerCheck && !plan.target->command.empty()) {
    auto planned = perJobTarget(*plan.target);
    if (!planned) {
      dropCapture();
      return Unexpected{planned.error()};
    }
    options.target = std::move(*planned);
  } else if (plan.target) {
    process::TargetSpec spec = *plan.target;
    spec.stopRequested = stopRequested;
    auto opened = process::TargetSession::open(spec);
    if (!opened) {
      dropCapture();
      return Unexpected{opened.error()};
    }
    target.emplace(std::move(*opened));
    auto address = net::toSockAddr(target->endpoint());
    if (!address) return Unexpected{fmt::format("--target {}: {}", target->endpoint().toString(), address.error())};
    options.target = runner::TargetUnderTest{*address, net::socketKindOf(target->endpoint()),
                                             target->endpoint().toString(), std::nullopt};
  }

  auto started = Clock::now();
  RunOutcome outcome;
  report::RunResult& result = outcome.result;
  result.suite = plan.suiteName;
  result.checks = runJobs(plan.jobs, options, target ? &*target : nullptr, stopRequested);
  if (target) closeTarget(*target, console, consoleStream, result);
  result.elapsedMs = millisecondsSince(started);
  result.claims = runner::judgeClaims(result.checks);
  console.runFinished(result);
  return outcome;
}

}  // namespace

Expected<RunOutcome, std::string> executeRun(const RunPlan& plan, const volatile std::sig_atomic_t* stopRequested) {
  auto outcome = plan.mode == RunMode::ServiceSuite ? executeServiceSuite(plan, stopRequested)
                                                    : executeScenarios(plan, stopRequested);
  if (!outcome) return outcome;
  if (auto written = writeReports(plan.outputs, outcome->result); !written) outcome->reportError = written.error();
  outcome->interrupted = stopRequested != nullptr && *stopRequested != 0;
  return outcome;
}

}  // namespace sockspec::app
