#include "cli/run_command.h"

#include <fnmatch.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "base/exit_codes.h"
#include "events/lifecycle_order.h"
#include "net/endpoint.h"
#include "net/endpoint_sockets.h"
#include "net/sock_addr.h"
#include "process/target_command.h"
#include "report/console_report.h"
#include "report/report_format.h"
#include "runner/claim_verdicts.h"
#include "runner/isolated_jobs.h"
#include "runner/suite_files.h"
#include "runner/work_directory.h"
#include "scenario/parser.h"
#include "suites/service_suite.h"

namespace sockspec::cli {

namespace {

volatile std::sig_atomic_t g_interrupted = 0;

void onInterrupt(int) { g_interrupted = 1; }

struct RunSettings {
  std::vector<std::string> paths;
  std::string suite;
  std::string filter;
  std::size_t jobs = 0;
  std::string report;
  std::string out;
  std::string isolation = "auto";
  int timeoutMs = 30'000;
  std::string color = "auto";
  bool list = false;
  std::string capture;
  std::string user;
  std::string target;
  std::string targetCommand;
  int checkTimeoutMs = 5000;
};

int usageError(const std::string& message) {
  std::fprintf(stderr, "sockspec run: %s\n", message.c_str());
  return kExitUsage;
}

bool matchesFilter(const std::string& filter, const std::string& id) {
  if (filter.empty()) return true;
  return ::fnmatch(filter.c_str(), id.c_str(), 0) == 0;
}

// What both kinds of run share: the console, the optional machine report, and where each goes.
struct Output {
  report::ColorMode color = report::ColorMode::Auto;
  std::optional<report::ReportFormat> format;
  // With a machine report on stdout, people's lines go to stderr.
  std::FILE* consoleStream() const { return format && m_out.empty() ? stderr : stdout; }
  std::string m_out;
};

Expected<Output, std::string> parseOutput(const RunSettings& settings) {
  Output output;
  auto color = report::parseColorMode(settings.color);
  if (!color) return Unexpected{"--color: " + color.error()};
  output.color = *color;
  if (!settings.report.empty()) {
    auto parsed = report::parseReportFormat(settings.report);
    if (!parsed) return Unexpected{"--report: " + parsed.error()};
    output.format = *parsed;
  }
  if (!settings.out.empty() && !output.format) return Unexpected{std::string("--out needs --report json|junit|tap")};
  output.m_out = settings.out;
  return output;
}

// Writes the machine report, if one was asked for, and gives the run's exit code.
int finishRun(const Output& output, const report::RunResult& result) {
  if (output.format) {
    auto written = output.m_out.empty() ? report::writeReport(*output.format, result, stdout, "stdout")
                                        : report::writeReport(*output.format, result, output.m_out);
    if (!written) {
      std::fprintf(stderr, "sockspec run: %s\n", written.error().c_str());
      return kExitInternal;
    }
  }
  if (g_interrupted != 0) {
    std::fprintf(stderr, "sockspec run: interrupted\n");
    return 130;
  }
  return result.summary().failed == 0 ? kExitOk : kExitCheckFailed;
}

void installInterruptHandlers() {
  struct sigaction action {};
  action.sa_handler = onInterrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

constexpr std::string_view kEventsPlaceholder = "{events}";

// The lifecycle-order check of a target's --events log, as one more check of the run.
report::CheckResult checkEventsOrder(const std::string& path) {
  report::CheckResult check;
  check.id = "events.lifecycle-order";
  check.title = "the target's socket calls follow the legal lifecycle order";
  check.source = "socket(2), bind(2), listen(2), accept(2), connect(2), close(2)";
  check.file = path;
  std::ifstream log(path);
  if (!log) {
    check.status = report::Status::Failed;
    check.message = fmt::format("{}: the target wrote no --events log", path);
    return check;
  }
  events::OrderReport order = events::checkLifecycleOrder(log);
  if (!order.violations.empty()) {
    check.status = report::Status::Failed;
    check.line = static_cast<int>(order.violations.front().line);
    check.message = fmt::format("{} of {} calls out of order; first: {}", order.violations.size(), order.calls,
                                order.violations.front().message);
  } else if (order.calls == 0) {
    check.status = report::Status::Failed;
    check.message = "the --events log holds no socket calls";
  }
  return check;
}

// The server under test of a run: started by --target-cmd (stopped when this is destroyed) or named by
// --target. "{events}" in --target-cmd names a file for the target's --events log, checked for lifecycle
// order after the run (docs/events.md): the reference targets, or any program that writes the same format.
struct RunTarget {
  std::optional<process::TargetCommand> started;
  net::Endpoint endpoint;
  std::optional<runner::WorkDirectory> eventsDirectory;
  std::string eventsPath;
};

// Starts or probes the target; the error is a usage message (exit 2): an unreachable target is bad input,
// not a server failing its checks.
Expected<std::unique_ptr<RunTarget>, std::string> openRunTarget(const RunSettings& settings) {
  auto target = std::make_unique<RunTarget>();
  std::string command = settings.targetCommand;
  if (command.find(kEventsPlaceholder) != std::string::npos) {
    auto directory = runner::WorkDirectory::create("events");
    if (!directory) return Unexpected{directory.error()};
    target->eventsDirectory.emplace(std::move(*directory));
    target->eventsPath = target->eventsDirectory->path() + "/target-events.jsonl";
    for (auto at = command.find(kEventsPlaceholder); at != std::string::npos; at = command.find(kEventsPlaceholder)) {
      command.replace(at, kEventsPlaceholder.size(), target->eventsPath);
    }
  }
  if (!settings.targetCommand.empty()) {
    process::TargetCommandOptions options;
    options.command = command;
    if (!settings.target.empty()) options.targetUrl = settings.target;
    auto launched = process::TargetCommand::start(options);
    if (!launched) return Unexpected{launched.error()};
    target->started.emplace(std::move(*launched));
    target->endpoint = target->started->endpoint();
    return target;
  }
  auto parsed = net::parseEndpoint(settings.target);
  if (!parsed) return Unexpected{"--target: " + net::formatEndpointError(settings.target, parsed.error())};
  target->endpoint = *parsed;
  if (net::isConnectionOriented(target->endpoint.transport)) {
    auto probe =
        net::connectEndpoint(target->endpoint, Deadline::after(std::chrono::milliseconds(settings.checkTimeoutMs)));
    if (!probe) return Unexpected{fmt::format("--target unreachable: {}", probe.error().describe())};
  }
  return target;
}

// After the run: stops a started target (noting if it had ended on its own) and appends the lifecycle
// check of its --events log.
void closeRunTarget(RunTarget& target, report::ConsoleReporter& console, report::RunResult& result,
                    const Output& output) {
  if (target.started) {
    auto ended = target.started->describeExit();
    target.started->stop();
    if (ended) std::fprintf(output.consoleStream(), "note: the target ended during the run (%s)\n", ended->c_str());
  }
  if (!target.eventsPath.empty()) {
    report::CheckResult order = checkEventsOrder(target.eventsPath);
    console.checkFinished(order);
    result.checks.push_back(std::move(order));
  }
}

// The scenario family a target's endpoint is (connect-target scenarios run over that family only).
scenario::Family scenarioFamilyOf(const net::Endpoint& endpoint) {
  bool v6 = endpoint.isIpv6();
  switch (endpoint.transport) {
    case net::Transport::Tcp: return v6 ? scenario::Family::Tcp6 : scenario::Family::Tcp4;
    case net::Transport::Udp: return v6 ? scenario::Family::Udp6 : scenario::Family::Udp4;
    case net::Transport::UnixStream: return scenario::Family::Unix;
    case net::Transport::UnixDgram: return scenario::Family::UnixDgram;
    case net::Transport::UnixSeqpacket: return scenario::Family::UnixSeqpacket;
  }
  return scenario::Family::Tcp4;  // not reached: every transport is listed
}

int runServiceSuiteAgainstTarget(const RunSettings& settings, const Output& output) {
  const suites::ServiceSuite* suite = suites::findServiceSuite(settings.suite);
  if (suite == nullptr) {
    return usageError(fmt::format("--suite '{}': expected default, or a service suite: {}", settings.suite,
                                  fmt::join(suites::serviceSuiteNames(), ", ")));
  }
  if (!settings.paths.empty()) return usageError("a service suite takes no scenario paths");
  installInterruptHandlers();

  auto opened = openRunTarget(settings);
  if (!opened) return usageError(opened.error());
  RunTarget& target = **opened;
  const net::Endpoint& endpoint = target.endpoint;

  suites::SuiteOptions options;
  options.checkTimeout = std::chrono::milliseconds(settings.checkTimeoutMs);
  for (const auto& check : suite->checks) {
    if (matchesFilter(settings.filter, std::string(check.id))) options.only.emplace_back(check.id);
  }
  if (options.only.empty()) return usageError(fmt::format("--filter '{}' matches no check of the {} suite",
                                                          settings.filter, suite->name));
  if (target.started) options.targetExit = [&target]() { return target.started->describeExit(); };

  report::ConsoleReporter console(output.consoleStream(), report::ConsoleOptions{output.color});
  auto begun = std::chrono::steady_clock::now();
  report::RunResult result = suites::runServiceSuite(suite->name, endpoint, options);
  result.suite = std::string(suite->name);
  result.elapsedMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begun).count();
  for (const auto& check : result.checks) console.checkFinished(check);
  closeRunTarget(target, console, result, output);
  console.runFinished(result);
  return finishRun(output, result);
}

int runScenarios(const RunSettings& settings) {
  auto parsedOutput = parseOutput(settings);
  if (!parsedOutput) return usageError(parsedOutput.error());
  const Output& output = *parsedOutput;
  bool hasTarget = !settings.target.empty() || !settings.targetCommand.empty();
  bool serviceMode = !settings.suite.empty() && settings.suite != "default";
  if (hasTarget && !serviceMode && settings.paths.empty()) {
    return usageError(fmt::format("--target and --target-cmd go with --suite {}, or with scenario files that "
                                  "say 'requires target'",
                                  fmt::join(suites::serviceSuiteNames(), "|")));
  }
  if (serviceMode) {
    if (settings.target.empty() && settings.targetCommand.empty() && suites::findServiceSuite(settings.suite)) {
      return usageError(fmt::format("--suite {}: a service suite needs --target URL or --target-cmd CMD",
                                    settings.suite));
    }
    return runServiceSuiteAgainstTarget(settings, output);
  }
  runner::Isolation isolation = runner::Isolation::Auto;
  if (settings.isolation == "netns") isolation = runner::Isolation::Namespace;
  else if (settings.isolation == "none") isolation = runner::Isolation::None;
  else if (settings.isolation != "auto") return usageError("--isolation: expected auto, netns or none");

  std::vector<std::string> paths = settings.paths;
  std::string suiteName = settings.suite.empty() ? "default" : settings.suite;
  if (paths.empty()) {
    auto directory = runner::defaultSuiteDirectory();
    if (!directory) return usageError(directory.error());
    paths.push_back(*directory);
  } else {
    suiteName = fmt::format("{}", fmt::join(paths, " "));
  }
  auto files = runner::collectScenarioFiles(paths);
  if (!files) return usageError(files.error());
  if (files->empty()) return usageError(fmt::format("no *.scn files in {}", fmt::join(paths, ", ")));

  // Parse everything first: a suite with a malformed file does not run at all (exit 2).
  std::vector<std::unique_ptr<scenario::Scenario>> scenarios;
  std::map<std::string, std::string> idToFile;
  std::size_t errorCount = 0;
  for (const auto& file : *files) {
    auto parsed = scenario::parseScenarioFile(file);
    if (!parsed) {
      for (const auto& error : parsed.error()) std::fprintf(stderr, "%s\n", error.describe().c_str());
      errorCount += parsed.error().size();
      continue;
    }
    if (auto [previous, added] = idToFile.emplace(parsed->id, file); !added) {
      std::fprintf(stderr, "%s:1:1: scenario id '%s' is also used by %s\n", file.c_str(), parsed->id.c_str(),
                   previous->second.c_str());
      ++errorCount;
      continue;
    }
    scenarios.push_back(std::make_unique<scenario::Scenario>(std::move(*parsed)));
  }
  if (errorCount > 0) {
    std::fprintf(stderr, "sockspec run: %zu error%s in scenario files; nothing was run\n", errorCount,
                 errorCount == 1 ? "" : "s");
    return kExitUsage;
  }

  std::vector<runner::ScenarioJob> jobs;
  for (const auto& scenario : scenarios) {
    for (scenario::Family family : scenario->families) {
      std::string id = fmt::format("{}[{}]", scenario->id, scenario::familyName(family));
      if (matchesFilter(settings.filter, id) || matchesFilter(settings.filter, scenario->id)) {
        jobs.push_back({scenario.get(), family});
      }
    }
  }
  if (settings.list) {
    for (const auto& job : jobs) {
      std::printf("%s[%s]  %s\n", job.scenario->id.c_str(), std::string(scenario::familyName(job.family)).c_str(),
                  job.scenario->file.c_str());
    }
    return kExitOk;
  }
  if (jobs.empty()) return usageError(fmt::format("--filter '{}' matches no scenario", settings.filter));

  report::ConsoleReporter console(output.consoleStream(), report::ConsoleOptions{output.color});
  installInterruptHandlers();

  runner::JobOptions options;
  // Twice the cores: scenarios spend most of their time waiting on the kernel (a SYN retransmission), not
  // on the CPU.
  options.parallel = settings.jobs != 0 ? settings.jobs : 2 * std::max(1u, std::thread::hardware_concurrency());
  options.isolation = isolation;
  options.jobDeadline = std::chrono::milliseconds(settings.timeoutMs);
  options.onResult = [&](const report::CheckResult& check) { console.checkFinished(check); };
  if (!settings.capture.empty()) {
    std::error_code error;
    std::filesystem::create_directories(settings.capture, error);
    if (error) return usageError(fmt::format("--capture {}: {}", settings.capture, error.message()));
    options.captureDirectory = std::filesystem::absolute(settings.capture, error).string();
    if (isolation == runner::Isolation::None || !runner::canCreateNetworkNamespaces()) {
      // Capture is done on lo inside each scenario's own namespace, which needs privileges.
      std::fprintf(stderr, "sockspec run: --capture needs a network namespace per scenario (run as root); "
                           "the run goes on without captures\n");
      options.captureDirectory.clear();
    }
  }

  if (!settings.user.empty()) {
    if (::geteuid() != 0) return usageError(fmt::format("--user {}: only root can switch users", settings.user));
    auto user = runner::lookUpUser(settings.user);
    if (!user) return usageError("--user: " + user.error());
    options.runAs = *user;
  }

  // Scenarios that say 'requires target' connect to the server under test (connect-target).
  std::unique_ptr<RunTarget> target;
  if (hasTarget) {
    auto opened = openRunTarget(settings);
    if (!opened) return usageError(opened.error());
    target = std::move(*opened);
    auto address = net::toSockAddr(target->endpoint);
    if (!address) return usageError(fmt::format("--target {}: {}", target->endpoint.toString(), address.error()));
    options.target = runner::TargetUnderTest{*address, scenarioFamilyOf(target->endpoint), target->endpoint.toString()};
  }

  auto started = std::chrono::steady_clock::now();
  report::RunResult result;
  result.suite = suiteName;
  result.checks = runner::runIsolatedJobs(jobs, options, &g_interrupted);
  if (target) closeRunTarget(*target, console, result, output);
  result.elapsedMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  result.claims = runner::judgeClaims(result.checks);
  console.runFinished(result);
  return finishRun(output, result);
}

}  // namespace

std::function<int()> addRunCommand(CLI::App& app) {
  auto settings = std::make_shared<RunSettings>();
  CLI::App* run = app.add_subcommand("run", "run conformance scenarios (default: the installed default suite)");
  run->add_option("paths", settings->paths, "scenario files or folders of *.scn files");
  run->add_option("--suite", settings->suite,
                  "'default' (the scenario suite), or a service suite to run against --target/--target-cmd: "
                  "echo, discard, chargen, daytime, framed (docs/service-suites.md)");
  run->add_option("--target", settings->target,
                  "the server to check, as a URL (tcp://127.0.0.1:7, udp://[::1]:7, unix:///run/echo.sock); "
                  "with --target-cmd it may say {port}");
  run->add_option("--target-cmd", settings->targetCommand,
                  "start the server with this shell command on a free port ({port}), wait until it serves, "
                  "stop it afterwards; {events} names a file for its --events log, then checked for lifecycle "
                  "order");
  run->add_option("--check-timeout", settings->checkTimeoutMs,
                  "service suites: how long a check waits for the server, in ms")
      ->capture_default_str()
      ->check(CLI::Range(50, 600'000));
  run->add_option("--filter", settings->filter, "run only checks whose id matches this glob, e.g. 'close.*'");
  run->add_option("-j,--jobs", settings->jobs, "scenarios run at once (default: twice the number of cores)");
  run->add_option("--report", settings->report, "also write a machine report: json, junit or tap");
  run->add_option("--out", settings->out, "write the --report to FILE instead of stdout");
  run->add_option("--isolation", settings->isolation,
                  "auto: a network namespace per scenario when privileged; netns: always; none: never")
      ->capture_default_str();
  run->add_option("--timeout", settings->timeoutMs, "kill a scenario that runs longer than this many ms")
      ->capture_default_str()
      ->check(CLI::Range(100, 600'000));
  run->add_option("--color", settings->color, "auto, always or never")->capture_default_str();
  run->add_flag("--list", settings->list, "list the checks that would run, and exit");
  run->add_option("--capture", settings->capture,
                  "record each scenario's traffic into DIR/<scenario-id>.<family>.pcap (needs root: it is "
                  "captured on lo inside the scenario's own network namespace)");
  run->add_option("--user", settings->user,
                  "root only: each scenario job switches to this user once its namespace and capture are set "
                  "up (as tcpdump -Z does); it always drops its capabilities");
  return [settings]() { return runScenarios(*settings); };
}

}  // namespace sockspec::cli
