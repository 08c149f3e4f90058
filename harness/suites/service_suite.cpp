#include "suites/service_suite.h"

#include <algorithm>
#include <array>
#include <chrono>

#include <fmt/format.h>

#include "suites/check_capture.h"
#include "suites/isolated_check.h"
#include "suites/suite_tables.h"

namespace sockspec::suites {

namespace {

constexpr std::array<std::string_view, 6> kSuiteNames{"echo", "discard", "chargen", "daytime", "framed", "server"};

const std::array<ServiceSuite, 6>& suites() {
  static const std::array<ServiceSuite, 6> table{
      ServiceSuite{"echo", "RFC 862 echo", echoChecks()},
      ServiceSuite{"discard", "RFC 863 discard", discardChecks()},
      ServiceSuite{"chargen", "RFC 864 character generator", chargenChecks()},
      ServiceSuite{"daytime", "RFC 867 daytime", daytimeChecks()},
      ServiceSuite{"framed", "the framed protocol (docs/framed-protocol.md)", framedChecks()},
      ServiceSuite{"server", "any request/reply server (docs/server-profile.md)", serverProfileChecks()},
  };
  return table;
}

constexpr std::array kAllTransportList{net::Transport::Tcp, net::Transport::Udp, net::Transport::UnixStream,
                                       net::Transport::UnixDgram, net::Transport::UnixSeqpacket};

// "tcp6"/"udp6" for IPv6 targets, so that a report over both families tells them apart.
std::string reportFamilyOf(const net::Endpoint& target) {
  std::string family(net::schemeOf(target.transport));
  if (!target.isUnix() && target.isIpv6()) family += "6";
  return family;
}

report::CheckResult failedSetup(std::string id, const net::Endpoint& target, std::string message) {
  report::CheckResult result;
  result.id = std::move(id);
  result.family = reportFamilyOf(target);
  result.status = report::Status::Failed;
  result.message = std::move(message);
  return result;
}

bool selected(const SuiteOptions& options, std::string_view id) {
  return options.only.empty() || std::find(options.only.begin(), options.only.end(), id) != options.only.end();
}

}  // namespace

std::string describeTransports(TransportMask mask) {
  std::string text;
  for (auto transport : kAllTransportList) {
    if ((mask & maskOf(transport)) == 0) continue;
    if (!text.empty()) text += ", ";
    text += net::schemeOf(transport);
  }
  return text;
}

std::span<const std::string_view> serviceSuiteNames() { return kSuiteNames; }

const ServiceSuite* findServiceSuite(std::string_view name) {
  for (const auto& suite : suites()) {
    if (suite.name == name) return &suite;
  }
  return nullptr;
}

TransportMask suiteTransports(const ServiceSuite& suite) {
  TransportMask mask = 0;
  for (const auto& check : suite.checks) mask |= check.transports;
  return mask;
}

report::RunResult runServiceSuite(std::string_view name, const net::Endpoint& target, const SuiteOptions& options) {
  report::RunResult run;
  run.suite = std::string(name);
  const ServiceSuite* suite = findServiceSuite(name);
  if (suite == nullptr) {
    std::string known;
    for (auto each : kSuiteNames) known += (known.empty() ? "" : ", ") + std::string(each);
    run.checks.push_back(failedSetup(fmt::format("{}.suite", name), target,
                                     fmt::format("no service suite named '{}' (known: {})", name, known)));
    return run;
  }
  if ((suiteTransports(*suite) & maskOf(target.transport)) == 0) {
    run.checks.push_back(failedSetup(
        fmt::format("{}.transport", name), target,
        fmt::format("the {} suite runs over {}; {} is {}", name, describeTransports(suiteTransports(*suite)),
                    target.toString(), net::schemeOf(target.transport))));
    return run;
  }

  if (name == "server" && (options.request.empty() || !options.reply)) {
    run.checks.push_back(failedSetup("server.request", target,
                                     "the server profile needs a request and the pattern its reply must match"));
    return run;
  }

  // Once set, the checks after it are not run, and say why: the one server died (--keep-target), or a
  // fresh one could not be started.
  std::optional<std::string> notRun;
  for (const auto& check : suite->checks) {
    if ((check.transports & maskOf(target.transport)) == 0 || !selected(options, check.id)) continue;
    report::CheckResult result;
    result.id = std::string(check.id);
    result.family = reportFamilyOf(target);
    result.source = std::string(check.source);
    result.title = std::string(check.title);
    bool interrupted = options.stopRequested != nullptr && *options.stopRequested != 0;
    if (interrupted || notRun) {
      result.status = report::Status::Skipped;
      result.message = interrupted ? "not run: interrupted" : *notRun;
      run.checks.push_back(std::move(result));
      continue;
    }
    net::Endpoint endpoint = target;
    if (options.session != nullptr && !options.session->freshPerCheck()) {
      // The one server may have ended between checks (or before the first): this check cannot run, and
      // fails so that the run does; the ones after it are not run.
      if (auto ended = options.session->describeExit()) {
        result.status = report::Status::Failed;
        result.message = fmt::format("not run: the target had died ({}) before this check", *ended);
        result.target = fmt::format("died before this check ({})", *ended);
        notRun = fmt::format("not run: the target died before {} ({})", check.id, *ended);
        run.checks.push_back(std::move(result));
        continue;
      }
    }
    if (options.session != nullptr) {
      auto begun = options.session->beginCheck();
      if (!begun && options.stopRequested != nullptr && *options.stopRequested != 0) {
        result.status = report::Status::Skipped;
        result.message = "not run: interrupted";
        run.checks.push_back(std::move(result));
        continue;
      }
      if (!begun) {
        result.status = report::Status::Failed;
        result.message = "the target could not be started for this check: " + begun.error();
        notRun = fmt::format("not run: the target could not be started for {}", check.id);
        run.checks.push_back(std::move(result));
        continue;
      }
      endpoint = *begun;
    }
    auto started = std::chrono::steady_clock::now();
    CheckContext context{endpoint, Deadline::after(options.checkTimeout), options.checkTimeout};
    context.request = options.request;
    context.reply = options.reply ? &*options.reply : nullptr;
    // The hygiene checks read the processes of this check's server (a fresh one per check by default).
    if (options.session != nullptr && options.session->startedByUs()) {
      process::TargetSession* session = options.session;
      context.targetProcesses = [session] { return session->processes(); };
    }
    // "<check-id>.<family>.pcap", as a scenario job names its capture.
    CheckCapture capture(options.captureDirectory, options.keepCaptures,
                         fmt::format("{}.{}", check.id, result.family), endpoint);
    CheckOutcome outcome = runIsolatedCheck(check, context, options.stopRequested, capture.whileRunning());
    result.durationMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    result.status = outcome.status;
    result.message = std::move(outcome.message);
    // Stopped before the server is looked at below, so that the probe's connection is not in the pcap.
    capture.stop(result.status);
    if (options.session != nullptr && result.status != report::Status::Skipped) {
      // A server that died under a check failed it, whatever the check saw; one that failed a check is
      // looked at, so that the report says whether it was left dead or unresponsive.
      std::optional<std::string> trouble;
      if (result.status == report::Status::Failed) {
        trouble = options.session->troubleAfterCheck();
      } else if (auto ended = options.session->describeExit()) {
        trouble = fmt::format("died during this check ({})", *ended);
        result.status = report::Status::Failed;
        result.message = fmt::format("the target died during this check ({})", *ended) +
                         (result.message.empty() ? "" : "; the check itself saw: " + result.message);
      }
      if (trouble) {
        result.target = *trouble;
        bool dead = options.session->describeExit().has_value();
        if (dead && !options.session->freshPerCheck()) {
          notRun = fmt::format("not run: the target died during {} ({})", check.id, *options.session->describeExit());
        }
      }
    }
    capture.record(result);
    run.checks.push_back(std::move(result));
  }
  return run;
}

}  // namespace sockspec::suites
