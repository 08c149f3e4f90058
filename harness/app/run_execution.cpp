#include "app/run_execution.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>

#include <fmt/format.h>

#include "app/target_events_check.h"
#include "net/sock_addr.h"
#include "net/socket_kind.h"
#include "process/target_session.h"
#include "report/console_report.h"
#include "runner/claim_verdicts.h"
#include "runner/isolated_jobs.h"
#include "suites/process_facts.h"

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
  if (!target.eventsLogPath().empty()) {
    report::CheckResult order = checkEventsOrder(target);
    console.checkFinished(order);
    result.checks.push_back(std::move(order));
  }
}

Expected<RunOutcome, std::string> executeServiceSuite(const RunPlan& plan) {
  auto target = process::TargetSession::open(*plan.target);
  if (!target) return Unexpected{target.error()};
  suites::SuiteOptions options = plan.suiteOptions;
  if (target->startedByUs()) options.targetExit = [&target]() { return target->describeExit(); };
  // The server profile's hygiene checks read the started server's process tree (none for a --target URL).
  if (target->startedByUs()) options.targetProcesses = [&target]() { return suites::processTree(target->pid()); };

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

// --capture DIR: made now; dropped with a warning when jobs get no namespace of their own to capture in.
Expected<std::string, std::string> prepareCaptureDirectory(const RunPlan& plan) {
  if (plan.captureDirectory.empty()) return std::string();
  std::error_code error;
  std::filesystem::create_directories(plan.captureDirectory, error);
  if (error) return Unexpected{fmt::format("--capture {}: {}", plan.captureDirectory, error.message())};
  std::string absolute = std::filesystem::absolute(plan.captureDirectory, error).string();
  if (plan.isolation == runner::Isolation::None || !runner::canCreateNetworkNamespaces()) {
    // Capture is done on lo inside each scenario's own namespace, which needs privileges.
    std::fprintf(stderr, "sockspec run: --capture needs a network namespace per scenario (run as root); "
                         "the run goes on without captures\n");
    return std::string();
  }
  return absolute;
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
  options.captureDirectory = *capture;
  if (!plan.user.empty()) {
    if (::geteuid() != 0) return Unexpected{fmt::format("--user {}: only root can switch users", plan.user)};
    auto user = runner::lookUpUser(plan.user);
    if (!user) return Unexpected{"--user: " + user.error()};
    options.runAs = *user;
  }

  // Scenarios that say 'requires target' connect to the server under test (connect-target).
  std::optional<process::TargetSession> target;
  if (plan.target) {
    auto opened = process::TargetSession::open(*plan.target);
    if (!opened) return Unexpected{opened.error()};
    target.emplace(std::move(*opened));
    auto address = net::toSockAddr(target->endpoint());
    if (!address) return Unexpected{fmt::format("--target {}: {}", target->endpoint().toString(), address.error())};
    options.target = runner::TargetUnderTest{*address, net::socketKindOf(target->endpoint()),
                                             target->endpoint().toString()};
  }

  auto started = Clock::now();
  RunOutcome outcome;
  report::RunResult& result = outcome.result;
  result.suite = plan.suiteName;
  result.checks = runner::runIsolatedJobs(plan.jobs, options, stopRequested);
  if (target) closeTarget(*target, console, consoleStream, result);
  result.elapsedMs = millisecondsSince(started);
  result.claims = runner::judgeClaims(result.checks);
  console.runFinished(result);
  return outcome;
}

}  // namespace

Expected<RunOutcome, std::string> executeRun(const RunPlan& plan, const volatile std::sig_atomic_t* stopRequested) {
  auto outcome = plan.mode == RunMode::ServiceSuite ? executeServiceSuite(plan) : executeScenarios(plan, stopRequested);
  if (!outcome) return outcome;
  if (auto written = writeReports(plan.outputs, outcome->result); !written) outcome->reportError = written.error();
  outcome->interrupted = stopRequested != nullptr && *stopRequested != 0;
  return outcome;
}

}  // namespace sockspec::app
