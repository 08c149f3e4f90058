#include "app/run_plan.h"

#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "app/server_profile_options.h"
#include "base/output_file.h"
#include "base/output_folder.h"
#include "base/sys_error.h"
#include "runner/suite_files.h"
#include "scenario/parser.h"

namespace sockspec::app {

namespace {

PlanError usage(std::string message) { return PlanError{{}, std::move(message)}; }

// Each job is a process (and, isolated, a network namespace); beyond this many at once they only compete
// for the same cores and exhaust process and file limits.
constexpr long long kMaxJobs = 1024;

std::optional<process::TargetSpec> targetSpecOf(const RunOptions& options) {
  if (options.target.empty() && options.targetCommand.empty()) return std::nullopt;
  process::TargetSpec spec;
  spec.command = options.targetCommand;
  spec.url = options.target;
  spec.probeTimeout = std::chrono::milliseconds(options.checkTimeoutMs);
  spec.eventsLog = true;
  spec.freshPerCheck = !options.keepTarget;
  return spec;
}

Expected<runner::Isolation, PlanError> isolationOf(const std::string& value) {
  if (value.empty() || value == "auto") return runner::Isolation::Auto;
  if (value == "netns") return runner::Isolation::Namespace;
  if (value == "none") return runner::Isolation::None;
  return Unexpected{usage(fmt::format("--isolation '{}': expected auto, netns or none", value))};
}

// --capture DIR is made (and proved writable by whoever writes the pcaps) when the run starts
// (app/capture_folder.h); a path that is already something else, cannot be looked at, or whose folder is
// missing is refused now, not after the target has been started (or, for a service suite without
// CAP_NET_RAW, never).
Expected<void, PlanError> checkCaptureDirectory(const std::string& directory) {
  if (directory.empty()) return {};
  if (auto folder = OutputFolder::check("--capture", directory); !folder) return Unexpected{usage(folder.error())};
  return {};
}

// --user NAME: looked up now, so that a name that is nobody's stops the run before any job starts.
Expected<std::optional<runner::RunAs>, PlanError> runAsOf(const std::string& name) {
  if (name.empty()) return std::optional<runner::RunAs>();
  if (::geteuid() != 0) return Unexpected{usage(fmt::format("--user {}: only root can switch users", name))};
  auto user = runner::lookUpUser(name);
  if (!user) return Unexpected{usage("--user: " + user.error())};
  return std::optional<runner::RunAs>(*user);
}

Expected<void, PlanError> planServiceSuite(const RunOptions& options, RunPlan& plan) {
  plan.mode = RunMode::ServiceSuite;
  // Both shape scenario jobs only (runner/isolated_jobs.h); a service check talks to --target from the
  // host's network as sockspec's own user, so either would be ignored.
  if (!options.isolation.empty()) {
    return Unexpected{usage("--isolation goes with scenario runs: a service suite's checks run in this host's "
                            "network, against --target")};
  }
  if (plan.runAs) {
    return Unexpected{usage("--user goes with scenario runs: a service suite's checks run as the user sockspec "
                            "runs as")};
  }
  if (options.isGiven("--jobs")) {
    return Unexpected{usage("--jobs goes with scenario runs: a service suite runs its checks one at a time, "
                            "against one server")};
  }
  if (options.isGiven("--timeout")) {
    return Unexpected{usage("--timeout is a scenario's deadline: a service suite's checks take --check-timeout")};
  }
  plan.service = suites::findServiceSuite(options.suite);
  if (plan.service == nullptr) {
    return Unexpected{usage(fmt::format("--suite '{}': expected default, or a service suite: {}", options.suite,
                                        fmt::join(suites::serviceSuiteNames(), ", ")))};
  }
  if (!plan.target) {
    return Unexpected{usage(fmt::format("--suite {}: a service suite needs --target URL or --target-cmd CMD",
                                        options.suite))};
  }
  if (!options.paths.empty()) return Unexpected{usage("a service suite takes no scenario paths")};
  plan.suiteName = std::string(plan.service->name);
  plan.suiteOptions.checkTimeout = std::chrono::milliseconds(options.checkTimeoutMs);
  if (auto profile = planServerProfile(options, plan.suiteOptions); !profile) {
    return Unexpected{usage(std::move(profile.error()))};
  }
  for (const auto& check : plan.service->checks) {
    if (matchesFilter(options.filter, std::string(check.id))) plan.suiteOptions.only.emplace_back(check.id);
  }
  if (plan.suiteOptions.only.empty()) {
    return Unexpected{usage(fmt::format("--filter '{}' matches no check of the {} suite", options.filter,
                                        plan.service->name))};
  }
  plan.listOnly = options.list;
  return {};
}

// Parses every file first, so that a suite with a malformed file does not run at all.
Expected<void, PlanError> loadScenarios(const std::vector<std::string>& files, RunPlan& plan) {
  PlanError errors;
  std::map<std::string, std::string> idToFile;
  for (const auto& file : files) {
    auto parsed = scenario::parseScenarioFile(file);
    if (!parsed) {
      for (const auto& error : parsed.error()) errors.diagnostics.push_back(error.describe());
      continue;
    }
    if (auto [previous, added] = idToFile.emplace(parsed->id, file); !added) {
      errors.diagnostics.push_back(
          fmt::format("{}:1:1: scenario id '{}' is also used by {}", file, parsed->id, previous->second));
      continue;
    }
    plan.scenarios.push_back(std::make_unique<scenario::Scenario>(std::move(*parsed)));
  }
  if (!errors.diagnostics.empty()) {
    std::size_t count = errors.diagnostics.size();
    errors.message = fmt::format("{} error{} in scenario files; nothing was run", count, count == 1 ? "" : "s");
    return Unexpected{std::move(errors)};
  }
  return {};
}

Expected<void, PlanError> planScenarios(const RunOptions& options, RunPlan& plan) {
  std::vector<std::string> paths = options.paths;
  plan.suiteName = options.suite.empty() ? "default" : options.suite;
  if (paths.empty()) {
    auto directory = runner::defaultSuiteDirectory();
    if (!directory) return Unexpected{usage(directory.error())};
    paths.push_back(*directory);
  } else {
    plan.suiteName = fmt::format("{}", fmt::join(paths, " "));
  }
  auto files = runner::collectScenarioFiles(paths);
  if (!files) return Unexpected{usage(files.error())};
  if (files->empty()) return Unexpected{usage(fmt::format("no *.scn files in {}", fmt::join(paths, ", ")))};
  if (auto loaded = loadScenarios(*files, plan); !loaded) return loaded;

  for (const auto& scenario : plan.scenarios) {
    for (scenario::Family family : scenario->families) {
      std::string id = fmt::format("{}[{}]", scenario->id, scenario::familyName(family));
      if (matchesFilter(options.filter, id) || matchesFilter(options.filter, scenario->id)) {
        plan.jobs.push_back({scenario.get(), family});
      }
    }
  }
  plan.listOnly = options.list;
  if (plan.jobs.empty() && !plan.listOnly) {
    return Unexpected{usage(fmt::format("--filter '{}' matches no scenario", options.filter))};
  }
  // A target that no scenario talks to would be started (or probed) for nothing.
  if (plan.target && std::none_of(plan.jobs.begin(), plan.jobs.end(), [](const runner::ScenarioJob& job) {
        return job.scenario->hasRequirement("target");
      })) {
    return Unexpected{usage(fmt::format("{} goes with scenario files that say 'requires target', and none of "
                                        "these does",
                                        options.targetCommand.empty() ? "--target" : "--target-cmd"))};
  }
  // Twice the cores: scenarios spend most of their time waiting on the kernel (a SYN retransmission), not
  // on the CPU.
  plan.parallel = options.jobs != 0 ? static_cast<std::size_t>(options.jobs)
                                    : 2 * std::max(1u, std::thread::hardware_concurrency());
  plan.jobDeadline = std::chrono::milliseconds(options.timeoutMs);
  return {};
}

}  // namespace

bool matchesFilter(const std::string& filter, const std::string& id) {
  if (filter.empty()) return true;
  return ::fnmatch(filter.c_str(), id.c_str(), 0) == 0;
}

Expected<RunPlan, PlanError> planRun(const RunOptions& options) {
  RunPlan plan;
  auto outputs = parseReportOutputs(options.color, options.reports, options.out);
  if (!outputs) return Unexpected{usage(outputs.error())};
  plan.outputs = std::move(*outputs);
  plan.target = targetSpecOf(options);
  plan.captureDirectory = options.capture;
  if (options.jobs < 0) {
    return Unexpected{usage(fmt::format("--jobs {}: expected 1 or more (0: twice the cores)", options.jobs))};
  }
  if (options.jobs > kMaxJobs) {
    return Unexpected{usage(fmt::format("--jobs {}: at most {} scenarios at once", options.jobs, kMaxJobs))};
  }
  // --list runs nothing, so what a run would write has no place in it.
  if (options.list && !options.reports.empty()) {
    return Unexpected{usage("--report goes with a run: --list runs nothing and has no results to report")};
  }
  if (options.list && !options.capture.empty()) {
    return Unexpected{usage("--capture goes with a run: --list runs nothing and captures nothing")};
  }
  auto isolation = isolationOf(options.isolation);
  if (!isolation) return Unexpected{std::move(isolation.error())};
  plan.isolation = *isolation;
  if (auto capture = checkCaptureDirectory(options.capture); !capture) return Unexpected{std::move(capture.error())};
  auto runAs = runAsOf(options.user);
  if (!runAs) return Unexpected{std::move(runAs.error())};
  plan.runAs = std::move(*runAs);
  if (options.keepTarget && options.targetCommand.empty()) {
    return Unexpected{usage("--keep-target keeps the server --target-cmd starts: it needs --target-cmd")};
  }
  if (options.isGiven("--check-timeout") && !plan.target) {
    return Unexpected{usage("--check-timeout is how long a check waits for the server: it needs --target or "
                            "--target-cmd")};
  }
  bool serviceMode = !options.suite.empty() && options.suite != "default";
  if (plan.target && !serviceMode && options.paths.empty()) {
    return Unexpected{usage(fmt::format("--target and --target-cmd go with --suite {}, or with scenario files "
                                        "that say 'requires target'",
                                        fmt::join(suites::serviceSuiteNames(), "|")))};
  }
  if (!serviceMode && (!options.request.empty() || !options.reply.empty() || !options.replyPrefix.empty() ||
                       !options.replyExact.empty())) {
    return Unexpected{usage("--request and --reply go with --suite server")};
  }
  auto planned = serviceMode ? planServiceSuite(options, plan) : planScenarios(options, plan);
  if (!planned) return Unexpected{std::move(planned.error())};
  return plan;
}

std::vector<std::string> listJobs(const RunPlan& plan) {
  std::vector<std::string> lines;
  if (plan.mode == RunMode::ServiceSuite) {
    for (const auto& id : plan.suiteOptions.only) lines.push_back(fmt::format("{}  {} suite", id, plan.suiteName));
    return lines;
  }
  for (const auto& job : plan.jobs) {
    lines.push_back(fmt::format("{}[{}]  {}", job.scenario->id, scenario::familyName(job.family), job.scenario->file));
  }
  return lines;
}

}  // namespace sockspec::app
