#include "process/target_command.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "base/display_escape.h"
#include "base/shell_quote.h"
#include "base/sys_error.h"
#include "net/endpoint_sockets.h"
#include "net/socket_table.h"
#include "process/process_tree.h"

namespace sockspec::process {

namespace {

constexpr auto kFirstProbePause = std::chrono::milliseconds(5);
constexpr auto kLongestProbePause = std::chrono::milliseconds(100);
constexpr auto kProbeConnectTimeout = std::chrono::milliseconds(250);

// A command sh can run with `exec` in front: no lists, pipes, subshells or substitutions, and no leading
// VAR=value (which exec would take for the program's name), and no shell builtin or keyword first (`exec exit
// 3` is "exit: not found", status 127). Quotes, $VARS and redirections are fine.
bool isSimpleCommand(std::string_view command) {
  if (command.find_first_of(";&|()`\n") != std::string_view::npos) return false;
  auto start = command.find_first_not_of(" \t");
  if (start == std::string_view::npos) return false;
  auto firstWord = command.substr(start, command.find_first_of(" \t", start) - start);
  if (firstWord.find('=') != std::string_view::npos) return false;
  for (std::string_view keyword : {"if", "for", "while", "until", "case", "{", "!", "exec", "cd", "export", "exit",
                                   "return", "set", "unset", "shift", "trap", "eval", ".", ":", "source",
                                   "wait", "read", "ulimit", "umask", "readonly", "alias", "times"}) {
    if (firstWord == keyword) return false;
  }
  return true;
}

}  // namespace

std::string substitutePlaceholder(std::string_view text, std::string_view placeholder, std::string_view value) {
  std::string result;
  for (std::size_t at = 0;;) {
    std::size_t found = text.find(placeholder, at);
    result.append(text.substr(at, found == std::string_view::npos ? std::string_view::npos : found - at));
    if (found == std::string_view::npos) return result;
    result += value;
    at = found + placeholder.size();
  }
}

std::string substitutePort(std::string_view text, std::uint16_t port) {
  return substitutePlaceholder(text, kPortPlaceholder, std::to_string(port));
}

Expected<std::uint16_t, std::string> pickFreePort(const net::Endpoint& endpoint) {
  net::Endpoint any = endpoint;
  any.port = 0;
  auto bound = net::bindEndpoint(any);
  if (!bound) return Unexpected{fmt::format("picking a free port: {}", bound.error().describe())};
  return bound->local.port;  // the socket closes here, and the port is free again (nothing connected)
}

Expected<ResolvedTarget, std::string> resolveTarget(std::string_view command, std::string_view targetUrl) {
  bool urlWantsPort = targetUrl.find(kPortPlaceholder) != std::string_view::npos;
  std::string parseable = urlWantsPort ? substitutePort(targetUrl, 0) : std::string(targetUrl);
  auto endpoint = net::parseEndpoint(parseable);
  if (!endpoint) return Unexpected{net::formatEndpointError(parseable, endpoint.error())};
  bool commandWantsPort = command.find(kPortPlaceholder) != std::string_view::npos;
  if (endpoint->isUnix()) {
    if (urlWantsPort || commandWantsPort) {
      return Unexpected{fmt::format("{} is a unix socket and has no port to put in {}: name the path in both "
                                    "--target and --target-cmd instead",
                                    targetUrl, kPortPlaceholder)};
    }
    return ResolvedTarget{*endpoint, std::string(command)};
  }
  if (endpoint->port == 0) {
    auto port = pickFreePort(*endpoint);
    if (!port) return Unexpected{port.error()};
    endpoint->port = *port;
  }
  return ResolvedTarget{*endpoint, substitutePort(command, endpoint->port)};
}

std::string describeTargetExit(const ExitStatus& status) {
  std::string text = status.describe();
  // sh reports a child killed by signal N as exit status 128 + N (sh(1), "Exit Status").
  if (status.exited && status.code > 128 && status.code < 128 + 65) {
    if (const char* name = ::sigabbrev_np(status.code - 128); name != nullptr) {
      text += fmt::format(" (a shell's report of SIG{})", name);
    }
  }
  return text;
}

Expected<TargetCommand, std::string> TargetCommand::start(const TargetCommandOptions& options) {
  auto resolved = resolveTarget(options.command, options.targetUrl);
  if (!resolved) return Unexpected{resolved.error()};

  TargetCommand target;
  target.m_endpoint = resolved->endpoint;
  target.m_command = resolved->command;
  target.m_stopGrace = options.stopGrace;
  target.m_stopRequested = options.stopRequested;
  auto directory = TempDirectory::create("target", options.workDirectory);
  if (!directory) return Unexpected{fmt::format("target command: {}", directory.error())};
  target.m_directory.emplace(std::move(*directory));
  // The output goes to a file that the supervisor keeps bounded, not to a pipe of ours: a pipe nobody
  // drains fills at 64 KiB and stops a chatty server mid-check, which would look like a stalled server.
  std::string outputPath = target.m_directory->path() + "/output";
  net::UniqueFd output(::open(outputPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!output) return Unexpected{fmt::format("target command: {}: {}", outputPath, SysError{errno, "open"}.describe())};
  // A simple command replaces the shell (dash does not do that by itself), so the server's exit status and
  // signals are its own. Whatever it starts, daemonized or not, stays under the tree supervisor
  // (tree_supervisor.h), so stop() ends all of it.
  std::string script = fmt::format("{}{}", isSimpleCommand(target.m_command) ? "exec " : "", target.m_command);
  SpawnOptions spawn;
  spawn.captureStdout = false;
  spawn.captureStderr = false;
  spawn.superviseTree = true;
  spawn.outputFd = output.get();
  spawn.treeGrace = options.stopGrace;
  auto child = ChildProcess::spawn({"/bin/sh", "-c", script}, spawn);
  if (!child) return Unexpected{fmt::format("target command: {}", child.error())};
  target.m_child.emplace(std::move(*child));
  if (auto serving = target.waitUntilServing(options.readyTimeout); !serving) {
    target.stop();
    return Unexpected{serving.error()};
  }
  if (auto ours = target.checkServedByUs(); !ours) {
    target.stop();
    return Unexpected{ours.error()};
  }
  return target;
}

// The socket that answered the probe must be one the command's processes hold: else another program
// already had the port (or the path) and the started server is not the one a check would reach.
Expected<void, std::string> TargetCommand::checkServedByUs() {
  if (m_endpoint.isUnix() && m_endpoint.isAutobind()) return {};
  std::vector<std::uint64_t> serving;
  // The server may be between fork and exec, or still handing the socket to a worker: look a few times.
  Deadline deadline = Deadline::after(std::chrono::milliseconds(500));
  // Bounded by the deadline, and ended by an interrupt.
  for (;;) {
    if (interrupted()) {
      return Unexpected{fmt::format("interrupted while checking that the started command serves {}",
                                    m_endpoint.toString())};
    }
    serving = net::servingSocketInodes(m_endpoint);
    // Nothing in the table (it closed its listener already, or it is another namespace's): nothing to compare.
    if (serving.empty()) return {};
    for (pid_t pid : processes()) {
      for (auto inode : socketInodesOf(pid)) {
        if (std::find(serving.begin(), serving.end(), inode) != serving.end()) return {};
      }
    }
    if (deadline.expired()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string owner;
  for (auto inode : serving) {
    if (auto found = findSocketOwner(inode)) {
      owner = fmt::format(" (it belongs to pid {}, {})", found->pid, escapeForDisplay(found->name));
      break;
    }
  }
  std::string tail = outputTail();
  return Unexpected{fmt::format("{} is served by another program{}, not by the started command '{}'; "
                                "the command's output: {}",
                                m_endpoint.toString(), owner, m_command, tail.empty() ? "(none)" : tail)};
}

std::vector<pid_t> TargetCommand::processes() const {
  if (!m_child || m_stopped) return {};
  return descendantsOf(m_child->pid());
}

Expected<void, std::string> TargetCommand::waitUntilServing(std::chrono::milliseconds timeout) {
  Deadline deadline = Deadline::after(timeout);
  auto pause = kFirstProbePause;
  std::string lastProbe = "no probe yet";
  for (;;) {
    if (interrupted()) {
      return Unexpected{fmt::format("interrupted while waiting for the target command to serve {}",
                                    m_endpoint.toString())};
    }
    if (auto how = describeExit()) {
      std::string tail = outputTail();
      return Unexpected{fmt::format("target command exited ({}) before serving {}{}{}", *how, m_endpoint.toString(),
                                    tail.empty() ? "" : ": ", tail)};
    }
    if (m_endpoint.transport == net::Transport::Udp) {
      if (!net::servingSocketInodes(m_endpoint).empty()) return {};
      lastProbe = fmt::format("no UDP socket bound to port {}", m_endpoint.port);
    } else {
      auto probe = net::connectEndpoint(m_endpoint, Deadline::after(kProbeConnectTimeout).orEarlier(deadline));
      if (probe) return {};  // closed at once: the server sees a client that connects and leaves
      lastProbe = probe.error().describe();
    }
    if (deadline.expired()) {
      std::string tail = outputTail();
      return Unexpected{fmt::format("target command did not serve {} within {} ms (last probe: {}){}{}",
                                    m_endpoint.toString(), timeout.count(), lastProbe,
                                    tail.empty() ? "" : "; its output: ", tail)};
    }
    std::this_thread::sleep_for(std::min(pause, deadline.remaining()));
    pause = std::min(pause * 2, kLongestProbePause);
  }
}

TargetCommand::TargetCommand(TargetCommand&& other) noexcept
    : m_child(std::exchange(other.m_child, std::nullopt)),
      m_endpoint(std::move(other.m_endpoint)),
      m_command(std::move(other.m_command)),
      m_directory(std::exchange(other.m_directory, std::nullopt)),
      m_stopGrace(other.m_stopGrace),
      m_stopRequested(other.m_stopRequested),
      m_stopped(std::exchange(other.m_stopped, std::nullopt)) {}

TargetCommand& TargetCommand::operator=(TargetCommand&& other) noexcept {
  if (this != &other) {
    stop();
    m_child = std::exchange(other.m_child, std::nullopt);
    m_endpoint = std::move(other.m_endpoint);
    m_command = std::move(other.m_command);
    m_directory = std::exchange(other.m_directory, std::nullopt);
    m_stopGrace = other.m_stopGrace;
    m_stopRequested = other.m_stopRequested;
    m_stopped = std::exchange(other.m_stopped, std::nullopt);
  }
  return *this;
}

TargetCommand::~TargetCommand() { stop(); }

std::optional<ExitStatus> TargetCommand::exitStatus() {
  if (m_stopped) return m_stopped;
  if (!m_child) return std::nullopt;
  return m_child->wait(Deadline::after(std::chrono::milliseconds(0)));
}

std::optional<std::string> TargetCommand::describeExit() {
  auto status = exitStatus();
  if (!status) return std::nullopt;
  return describeTargetExit(*status);
}

std::string TargetCommand::outputTail(std::size_t maxBytes) const {
  std::string text = rawOutputTail(maxBytes);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return escapeForDisplay(text, maxBytes);
}

std::string TargetCommand::rawOutputTail(std::size_t maxBytes) const {
  if (!m_directory) return {};
  std::ifstream file(m_directory->path() + "/output", std::ios::binary);
  if (!file) return {};
  file.seekg(0, std::ios::end);
  auto size = static_cast<std::size_t>(std::max<std::streamoff>(file.tellg(), 0));
  std::size_t start = size > maxBytes ? size - maxBytes : 0;
  file.seekg(static_cast<std::streamoff>(start));
  std::string text(size - start, '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(std::max<std::streamsize>(file.gcount(), 0)));
  return text;
}

std::uintmax_t TargetCommand::outputSize() const {
  if (!m_directory) return 0;
  std::error_code error;
  auto size = std::filesystem::file_size(m_directory->path() + "/output", error);
  return error ? 0 : size;
}

ExitStatus TargetCommand::stop() {
  // The supervisor takes up to the grace period for what it owns, then SIGKILLs it: it is given a second
  // more before it is asked to at once; kInterruptedStopGrace after an interrupt, before or during the wait
  // (a server stopped between two checks).
  if (!m_stopped && m_child) {
    m_stopped = m_child->terminate(interrupted() ? kInterruptedStopGrace : m_stopGrace + std::chrono::seconds(1),
                                   m_stopRequested, kInterruptedStopGrace);
  }
  m_directory.reset();
  return m_stopped.value_or(ExitStatus{});
}

}  // namespace sockspec::process
