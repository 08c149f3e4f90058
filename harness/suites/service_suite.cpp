#include "suites/service_suite.h"

#include <algorithm>
#include <array>
#include <chrono>

#include <fmt/format.h>

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
std::string familyOf(const net::Endpoint& target) {
  std::string family(net::schemeOf(target.transport));
  if (!target.isUnix() && target.isIpv6()) family += "6";
  return family;
}

report::CheckResult failedSetup(std::string id, const net::Endpoint& target, std::string message) {
  report::CheckResult result;
  result.id = std::move(id);
  result.family = familyOf(target);
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

  std::optional<std::string> death;  // how the target ended, once it has
  for (const auto& check : suite->checks) {
    if ((check.transports & maskOf(target.transport)) == 0 || !selected(options, check.id)) continue;
    report::CheckResult result;
    result.id = std::string(check.id);
    result.family = familyOf(target);
    result.source = std::string(check.source);
    result.title = std::string(check.title);
    if (!death && options.targetExit) death = options.targetExit();
    if (death) {
      result.status = report::Status::Failed;
      result.message = fmt::format("not run: the target died ({}) before this check", *death);
      run.checks.push_back(std::move(result));
      continue;
    }
    auto started = std::chrono::steady_clock::now();
    CheckContext context{target, Deadline::after(options.checkTimeout), options.checkTimeout};
    context.request = options.request;
    context.reply = options.reply ? &*options.reply : nullptr;
    context.targetProcesses = options.targetProcesses;
    CheckOutcome outcome = check.run(context);
    result.durationMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    result.status = outcome.status;
    result.message = std::move(outcome.message);
    if (options.targetExit) {
      death = options.targetExit();
      if (death && result.status != report::Status::Skipped) {
        // Whatever the check saw, a server that died under it failed it.
        result.status = report::Status::Failed;
        std::string seen = result.message.empty() ? std::string() : fmt::format(" ({})", result.message);
        result.message = fmt::format("the target died ({}) during this check{}", *death, seen);
      }
    }
    run.checks.push_back(std::move(result));
  }
  return run;
}

}  // namespace sockspec::suites
