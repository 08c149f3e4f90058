#include "process/target_command.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "base/display_escape.h"
#include "base/shell_quote.h"
#include "net/endpoint_sockets.h"

namespace sockspec::process {

namespace {

constexpr auto kFirstProbePause = std::chrono::milliseconds(5);
constexpr auto kLongestProbePause = std::chrono::milliseconds(100);
constexpr auto kProbeConnectTimeout = std::chrono::milliseconds(250);

// The local ports of the UDP sockets in a /proc/net/udp-style table ("sl local_address rem_address ...",
// addresses as HEXADDR:HEXPORT). proc(5).
bool udpPortBound(const std::string& table, std::uint16_t port) {
  std::ifstream file(table);
  if (!file) return false;
  std::string line;
  std::getline(file, line);  // header
  while (std::getline(file, line)) {
    std::istringstream fields(line);
    std::string slot, local;
    fields >> slot >> local;
    auto colon = local.rfind(':');
    if (colon == std::string::npos) continue;
    unsigned long bound = 0;
    auto digits = std::string_view(local).substr(colon + 1);
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), bound, 16);
    if (error == std::errc() && bound == port) return true;
  }
  return false;
}

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
  auto directory = TempDirectory::create("target");
  if (!directory) return Unexpected{fmt::format("target command: {}", directory.error())};
  target.m_directory.emplace(std::move(*directory));
  // The output goes to a file, not a pipe: a pipe nobody drains fills at 64 KiB and stops a chatty server
  // mid-check, which would look like a stalled server.
  // A simple command replaces the shell (dash does not do that by itself), so the server is our child: its
  // exit status and signals are its own, and stop() reaps the server itself.
  std::string script = fmt::format("exec >{} 2>&1\n{}{}", shellQuote(target.m_directory->path() + "/output"),
                                   isSimpleCommand(target.m_command) ? "exec " : "", target.m_command);
  SpawnOptions spawn;
  spawn.captureStdout = false;
  spawn.captureStderr = false;
  auto child = ChildProcess::spawn({"/bin/sh", "-c", script}, spawn);
  if (!child) return Unexpected{fmt::format("target command: {}", child.error())};
  target.m_child.emplace(std::move(*child));
  if (auto serving = target.waitUntilServing(options.readyTimeout); !serving) {
    target.stop();
    return Unexpected{serving.error()};
  }
  return target;
}

Expected<void, std::string> TargetCommand::waitUntilServing(std::chrono::milliseconds timeout) {
  Deadline deadline = Deadline::after(timeout);
  auto pause = kFirstProbePause;
  std::string lastProbe = "no probe yet";
  for (;;) {
    if (auto how = describeExit()) {
      std::string tail = outputTail();
      return Unexpected{fmt::format("target command exited ({}) before serving {}{}{}", *how, m_endpoint.toString(),
                                    tail.empty() ? "" : ": ", tail)};
    }
    if (m_endpoint.transport == net::Transport::Udp) {
      if (udpPortBound("/proc/net/udp", m_endpoint.port) || udpPortBound("/proc/net/udp6", m_endpoint.port)) return {};
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
      m_stopped(std::exchange(other.m_stopped, std::nullopt)) {}

TargetCommand& TargetCommand::operator=(TargetCommand&& other) noexcept {
  if (this != &other) {
    stop();
    m_child = std::exchange(other.m_child, std::nullopt);
    m_endpoint = std::move(other.m_endpoint);
    m_command = std::move(other.m_command);
    m_directory = std::exchange(other.m_directory, std::nullopt);
    m_stopGrace = other.m_stopGrace;
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
  if (!m_directory) return {};
  std::ifstream file(m_directory->path() + "/output", std::ios::binary);
  if (!file) return {};
  file.seekg(0, std::ios::end);
  auto size = static_cast<std::size_t>(std::max<std::streamoff>(file.tellg(), 0));
  std::size_t start = size > maxBytes ? size - maxBytes : 0;
  file.seekg(static_cast<std::streamoff>(start));
  std::string text(size - start, '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return escapeForDisplay(text, maxBytes);
}

ExitStatus TargetCommand::stop() {
  if (!m_stopped && m_child) m_stopped = m_child->terminate(m_stopGrace);
  m_directory.reset();
  return m_stopped.value_or(ExitStatus{});
}

}  // namespace sockspec::process
