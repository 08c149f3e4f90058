#include "process/target_session.h"

#include "process/process_tree.h"

#include <fmt/format.h>

#include <fcntl.h>

#include <fstream>
#include <thread>

#include "base/sys_error.h"

namespace sockspec::process {

namespace {

// How long the probe after a failed check waits for a connection: the server's own deadline is the
// check's; this only tells a refusing or unreachable server from one that accepts.
constexpr auto kTroubleProbeTimeout = std::chrono::milliseconds(1000);
// How long a server that may be going down gets to be gone before it is probed: a check sees a crash as
// its connection ending, a moment before the process has ended; a crash must not be reported as a refusal.
constexpr auto kDyingGrace = std::chrono::milliseconds(500);

// Whether connect(2) alone tells a server that is there from one that is not, without sending it anything:
// a stream or seqpacket connect is answered by the listener, and a unix datagram connect fails with ENOENT
// (no socket file) or ECONNREFUSED (nothing bound to it) (unix(7), unix_dgram_connect()). A UDP connect
// only records the peer (udp(7)): finding out needs a datagram, which the server would take as a request.
bool probeableByConnect(net::Transport transport) {
  return net::isConnectionOriented(transport) || transport == net::Transport::UnixDgram;
}

}  // namespace

Expected<TargetSession, std::string> TargetSession::open(const TargetSpec& spec) {
  TargetSession session(spec);
  if (spec.eventsLog && spec.command.find(kEventsPlaceholder) != std::string::npos) {
    if (spec.workDirectory.empty()) {
      auto directory = TempDirectory::create("events");
      if (!directory) return Unexpected{directory.error()};
      session.m_eventsDirectory.emplace(std::move(*directory));
      session.m_eventsFolder = session.m_eventsDirectory->path();
    } else {
      session.m_eventsFolder = spec.workDirectory;
    }
  }
  if (!spec.command.empty()) {
    if (auto started = session.startCommand(); !started) return Unexpected{started.error()};
    return session;
  }
  auto endpoint = net::parseEndpoint(spec.url);
  if (!endpoint) return Unexpected{"--target: " + net::formatEndpointError(spec.url, endpoint.error())};
  session.m_endpoint = *endpoint;
  if (probeableByConnect(endpoint->transport)) {
    if (auto failure = session.probe()) return Unexpected{"--target unreachable: " + failure->describe()};
  }
  return session;
}

Expected<void, std::string> TargetSession::startCommand() {
  TargetCommandOptions options;
  options.command = m_spec.command;
  options.workDirectory = m_spec.workDirectory;
  if (!m_eventsFolder.empty()) {
    // Each start writes its own log: a restarted server would otherwise replace (or append to) the last
    // one's, and only one server's calls would be checked.
    std::string path = fmt::format("{}/target-events-{}.jsonl", m_eventsFolder, m_eventsPaths.size() + 1);
    net::UniqueFd reader(::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644));
    if (!reader) return Unexpected{fmt::format("{{events}}: {}: {}", path, SysError{errno, "open"}.describe())};
    m_eventsPaths.push_back(std::move(path));
    m_eventsReaders.push_back(std::move(reader));
    options.command = substitutePlaceholder(m_spec.command, kEventsPlaceholder, m_eventsPaths.back());
  }
  if (!m_spec.url.empty()) options.targetUrl = m_spec.url;
  options.readyTimeout = m_spec.readyTimeout;
  options.stopRequested = m_spec.stopRequested;
  options.stopGrace = m_spec.stopGrace;
  auto started = TargetCommand::start(options);
  if (!started) return Unexpected{started.error()};
  m_endpoint = started->endpoint();
  m_command.emplace(std::move(*started));
  return {};
}

std::string TargetSession::describe() const {
  return m_command ? fmt::format("'{}'", m_command->command()) : m_endpoint.toString();
}

std::optional<std::string> TargetSession::describeExit() {
  return m_command ? m_command->describeExit() : std::nullopt;
}

std::optional<std::string> TargetSession::endedHow(std::chrono::milliseconds grace) {
  if (!m_command) return std::nullopt;
  Deadline deadline = Deadline::after(grace);
  // Bounded by the deadline.
  for (;;) {
    if (auto how = m_command->describeExit()) return how;
    if (deadline.expired() || interrupted()) return std::nullopt;
    std::this_thread::sleep_for(std::min(std::chrono::milliseconds(2), deadline.remaining()));
  }
}

bool TargetSession::commandExiting() const {
  if (!m_command || m_command->pid() < 0) return false;
  // The command is the only child of its supervisor (tree_supervisor.h); none left: it has exited.
  auto children = childrenOf(m_command->pid());
  return children.empty() || isExiting(children.front());
}

std::optional<net::EndpointFailure> TargetSession::probe() const {
  auto connected = net::connectEndpoint(m_endpoint, Deadline::after(m_spec.probeTimeout));
  if (!connected) return connected.error();
  return std::nullopt;
}

Expected<void, std::string> TargetSession::restart() {
  if (m_spec.command.empty()) {
    return Unexpected{fmt::format("{} was not started by sockspec and cannot be restarted", m_endpoint.toString())};
  }
  (void)stop();
  return startCommand();
}

Expected<net::Endpoint, std::string> TargetSession::beginCheck() {
  // freshPerCheck(), not the spec's wish: a server somebody else runs cannot be restarted.
  if (freshPerCheck() && m_checksBegun++ > 0) {
    if (auto restarted = restart(); !restarted) return Unexpected{restarted.error()};
  }
  return m_endpoint;
}

std::optional<std::string> TargetSession::troubleAfterCheck() {
  // An interrupted run has no second and a half for the look (endedHow ends at once too): the report says
  // only what it saw at once.
  if (auto how = endedHow(kDyingGrace)) return fmt::format("died during this check ({})", *how);
  if (interrupted() || !net::isConnectionOriented(m_endpoint.transport)) return std::nullopt;
  auto connected = net::connectEndpoint(m_endpoint, Deadline::after(kTroubleProbeTimeout));
  if (!connected) return fmt::format("stopped answering after this check ({})", connected.error().describe());
  return std::nullopt;
}

std::optional<events::OrderReport> TargetSession::checkEventsLog(std::size_t index) const {
  if (index >= m_eventsReaders.size()) return std::nullopt;
  // /proc/self/fd/N reopens the very file, checked against its own mode, not against the folders above it.
  std::ifstream log(fmt::format("/proc/self/fd/{}", m_eventsReaders[index].get()));
  if (!log) return std::nullopt;
  return events::checkLifecycleOrder(log);
}

std::optional<std::string> TargetSession::stop() {
  if (!m_command) return std::nullopt;
  auto ended = m_command->describeExit();
  (void)m_command->stop();
  m_command.reset();
  return ended;
}

}  // namespace sockspec::process
