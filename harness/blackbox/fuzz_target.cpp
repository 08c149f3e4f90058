#include "blackbox/fuzz_target.h"

#include <fmt/format.h>

#include <thread>

#include "net/endpoint_sockets.h"
#include "process/target_command.h"

namespace sockspec::blackbox {

FuzzTargetOptions FuzzTargetOptions::fromCommandLine(const std::string& target, const std::string& command,
                                                     int readyTimeoutMs, int hangTimeoutMs) {
  FuzzTargetOptions options;
  options.command = command;
  options.targetUrl = target.empty() && !command.empty() ? std::string(process::kDefaultTargetUrl) : target;
  options.readyTimeout = std::chrono::milliseconds(readyTimeoutMs);
  options.connectTimeout = std::chrono::milliseconds(hangTimeoutMs);
  return options;
}

Expected<FuzzTarget, std::string> FuzzTarget::start(const FuzzTargetOptions& options) {
  FuzzTarget target(options);
  if (!options.command.empty()) {
    if (auto started = target.restart(); !started) return Unexpected{started.error()};
    return target;
  }
  auto endpoint = net::parseEndpoint(options.targetUrl);
  if (!endpoint)
    return Unexpected{"--target: " + net::formatEndpointError(options.targetUrl, endpoint.error())};
  if (!net::isConnectionOriented(endpoint->transport)) {
    return Unexpected{fmt::format("--target {}: black-box fuzzing needs a stream or seqpacket endpoint",
                                  options.targetUrl)};
  }
  target.m_endpoint = *endpoint;
  if (auto failure = target.probe()) return Unexpected{"--target unreachable: " + failure->describe()};
  return target;
}

std::string FuzzTarget::describe() const {
  return m_command ? fmt::format("'{}'", m_command->command()) : m_endpoint.toString();
}

std::optional<std::string> FuzzTarget::endedHow(std::chrono::milliseconds grace) {
  if (!m_command) return std::nullopt;
  Deadline deadline = Deadline::after(grace);
  for (;;) {
    if (auto how = m_command->describeExit()) return how;
    if (deadline.expired()) return std::nullopt;
    std::this_thread::sleep_for(std::min(std::chrono::milliseconds(2), deadline.remaining()));
  }
}

std::optional<net::EndpointFailure> FuzzTarget::probe() const {
  auto connected = net::connectEndpoint(m_endpoint, Deadline::after(m_options.connectTimeout));
  if (!connected) return connected.error();
  return std::nullopt;
}

Expected<void, std::string> FuzzTarget::restart() {
  if (m_options.command.empty()) {
    return Unexpected{
        fmt::format("{} was not started by sockspec and cannot be restarted", m_endpoint.toString())};
  }
  stop();
  process::TargetCommandOptions command;
  command.command = m_options.command;
  if (!m_options.targetUrl.empty()) command.targetUrl = m_options.targetUrl;
  command.readyTimeout = m_options.readyTimeout;
  command.stopGrace = std::chrono::milliseconds(500);
  auto started = process::TargetCommand::start(command);
  if (!started) return Unexpected{started.error()};
  m_endpoint = started->endpoint();
  if (!net::isConnectionOriented(m_endpoint.transport)) {
    return Unexpected{
        fmt::format("{}: black-box fuzzing needs a stream or seqpacket endpoint", m_endpoint.toString())};
  }
  m_command.emplace(std::move(*started));
  return {};
}

void FuzzTarget::stop() {
  if (m_command) {
    (void)m_command->stop();
    m_command.reset();
  }
}

}  // namespace sockspec::blackbox
