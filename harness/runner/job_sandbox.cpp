#include "runner/job_sandbox.h"

#include <unistd.h>

#include <fmt/format.h>

#include "events/lifecycle_order.h"
#include "net/sock_addr.h"
#include "runner/network_namespace.h"

namespace sockspec::runner {

JobSandbox::JobSandbox(const scenario::Scenario& scenario, scenario::Family family, std::string workDirectory,
                       SandboxSettings settings)
    : m_scenario(scenario), m_family(family), m_workDirectory(std::move(workDirectory)), m_settings(std::move(settings)) {
  m_context.missingReason = m_settings.hostStackReason;
  if (m_settings.target != nullptr) m_context.target = m_settings.target->address;
}

Expected<void, std::string> JobSandbox::enter() {
  if (m_settings.placement == JobPlacement::OwnNamespace) {
    if (auto entered = enterPrivateNetworkNamespace(); !entered) return Unexpected{"runner: " + entered.error()};
    if (auto set = applySysctls(m_scenario.sysctls); !set) return Unexpected{"runner: " + set.error()};
    m_context.ownNetworkNamespace = true;
    openCapture();
  }
  // Before the privileges go: the server runs as it would if the user started it as this user.
  if (auto started = startTarget(); !started) return Unexpected{started.error()};
  // Like tcpdump -Z: the namespace, its sysctls and the capture handle were the only privileged steps.
  if (::geteuid() == 0) {
    if (auto dropped = dropPrivileges(m_settings.runAs); !dropped) {
      return Unexpected{"runner: giving up privileges: " + dropped.error()};
    }
  }
  return {};
}

// Inside the job's own network namespace: opens the capture the job needs (every job with --capture DIR; a
// TCP job with wire steps in any case, then into its private work directory, removed by the parent), or
// says in the context's missingReason why there is none.
void JobSandbox::openCapture() {
  const std::string& directory = m_settings.captureDirectory;
  bool wanted = !directory.empty() || (hasWireSteps(m_scenario) && net::isTcp(m_family));
  if (!wanted) return;
  if (!hasRawCaptureCapability()) {
    m_context.missingReason = "needs CAP_NET_RAW to capture (run as root)";
    return;
  }
  // The pcap file name of a job: "<scenario-id>.<family>.pcap".
  std::string path = directory.empty() ? m_workDirectory + "/wire.pcap"
                                       : fmt::format("{}/{}.{}.pcap", directory, m_scenario.id,
                                                     scenario::familyName(m_family));
  capture::CaptureSettings settings;
  if (m_settings.runAs) settings.owner = std::make_pair(m_settings.runAs->uid, m_settings.runAs->gid);
  auto opened = capture::LiveCapture::open("lo", path, settings);
  if (!opened) {
    m_captureFailure = opened.error();
    m_context.missingReason = "the capture could not be opened: " + opened.error();
    return;
  }
  m_capture.emplace(std::move(*opened));
  m_context.capture = &*m_capture;
}

Expected<void, std::string> JobSandbox::startTarget() {
  if (m_settings.target == nullptr || !m_settings.target->perJob || !m_scenario.hasRequirement("target")) return {};
  process::TargetSpec spec = *m_settings.target->perJob;
  spec.workDirectory = m_workDirectory;
  auto session = process::TargetSession::open(spec);
  if (!session) return Unexpected{"the target could not be started for this check: " + session.error()};
  auto address = net::toSockAddr(session->endpoint());
  if (!address) return Unexpected{fmt::format("the target's endpoint {}: {}", session->endpoint().toString(), address.error())};
  m_context.target = *address;
  m_target.emplace(std::move(*session));
  return {};
}

void JobSandbox::stopTarget(report::CheckResult& result) {
  if (!m_target) return;
  if (result.status == report::Status::Failed) {
    if (auto trouble = m_target->troubleAfterCheck()) result.target = *trouble;
  } else if (auto ended = m_target->describeExit()) {
    // A server that died under a scenario failed it, whatever its steps saw.
    result.status = report::Status::Failed;
    result.target = fmt::format("died during this check ({})", *ended);
    result.message = fmt::format("the target died during this check ({})", *ended);
  }
  (void)m_target->stop();
  checkTargetEvents(result);
  m_target.reset();
}

// The server's {events} log, read once it has stopped: calls out of order fail the check it served.
void JobSandbox::checkTargetEvents(report::CheckResult& result) {
  const auto& paths = m_target->eventsLogPaths();
  for (std::size_t i = 0; i < paths.size(); ++i) {
    std::string problem;
    auto order = m_target->checkEventsLog(i);
    if (!order || order->calls == 0) {
      problem = fmt::format("the target wrote nothing to its --events log ({})", paths[i]);
    } else if (auto outOfOrder = events::describeOutOfOrder(*order)) {
      problem = "the target's --events log: " + *outOfOrder;
    }
    if (problem.empty()) continue;
    result.message += (result.message.empty() ? "" : "; ") + problem;
    result.status = report::Status::Failed;
  }
}

void JobSandbox::finish(report::CheckResult& result) {
  stopTarget(result);
  const std::string& directory = m_settings.captureDirectory;
  if (!m_capture) {
    // A capture --capture DIR asked for and could not have is lost: recorded, and the run exits 3 for it.
    if (!directory.empty() && !m_captureFailure.empty()) result.captureError = m_captureFailure;
    return;
  }
  // The last close provokes packets after the last step (FIN, ACK, RST): for the pcap file, wait until the
  // wire is quiet. A capture made only for the wire steps has served them already: just count drops.
  bool keepFile = !directory.empty();
  capture::CaptureStats stats = m_capture->finish(std::chrono::milliseconds(keepFile ? 20 : 0),
                                                  std::chrono::milliseconds(keepFile ? 300 : 0));
  if (keepFile) {
    result.captureFile = stats.file;
    result.captureBytes = stats.bytes;
    result.captureError = stats.error;
    result.captureReceived = stats.received;
    result.captureDropped = stats.dropped;
  }
  if (stats.dropped > 0) {
    result.message += fmt::format("{}capture dropped {} of {} packets: the wire record{} is incomplete",
                                  result.message.empty() ? "" : "; ", stats.dropped, stats.received,
                                  stats.file.empty() ? "" : " in " + stats.file);
  }
}

}  // namespace sockspec::runner
