#include "server_options.h"

#include <fmt/format.h>

#include "base/display_escape.h"

namespace sockspec::server {

namespace {

template <typename Table>
std::string describeChoices(const Table& table) {
  std::string text;
  for (const auto& entry : table) text += fmt::format("\n  {:<22}{}", entry.name, entry.help);
  return text;
}

template <typename Table>
std::string listNames(const Table& table) {
  std::string text;
  for (const auto& entry : table) text += (text.empty() ? "" : ", ") + std::string(entry.name);
  return text;
}

}  // namespace

void addServerOptions(CLI::App& app, ServerOptions& options) {
  app.add_option("--listen", options.listen,
                 "where to listen: tcp://127.0.0.1:0, tcp://[::1]:7, udp://127.0.0.1:0, unix:///tmp/s.sock, "
                 "unix-dgram:///tmp/d.sock, unix-seqpacket:///tmp/p.sock, unix://@abstract (port 0: a free port)")
      ->required();
  app.add_option("--service", options.service, "what to serve:" + describeChoices(serviceTable()))->required();
  app.add_option("--backlog", options.backlog, "listen(2) backlog (the kernel caps it at net.core.somaxconn)")
      ->capture_default_str();
  app.add_option("--events", options.eventsPath,
                 "write one JSON object per socket call to FILE (docs/events.md)");
  app.add_option("--fault", options.fault, "misbehave on purpose, for the checks to catch:" +
                                               describeChoices(faultTable()))
      ->capture_default_str();
  app.add_option("--max-payload", options.maxPayload, "framed: the largest frame payload accepted, in bytes")
      ->capture_default_str()
      ->check(CLI::Range(1u, 16u * 1024 * 1024));
  app.add_option("--max-connections", options.maxConnections,
                 "stop accepting while this many connections are open (0: no limit but RLIMIT_NOFILE)")
      ->capture_default_str();
  app.add_option("--tcp-nodelay", options.tcpNoDelay,
                 "TCP_NODELAY on accepted TCP connections (on: replies leave at once; off: Nagle's algorithm, "
                 "which holds a small reply until the client ACKs the previous one)")
      ->capture_default_str()
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--send-buffer", options.sendBuffer,
                 "SO_SNDBUF for accepted stream connections, in bytes (0: the kernel's default; Linux doubles it)")
      ->capture_default_str()
      ->check(CLI::Range(0, 64 * 1024 * 1024));
}

Expected<ServerConfig, std::string> toServerConfig(const ServerOptions& options) {
  ServerConfig config;
  auto endpoint = net::parseEndpoint(options.listen);
  if (!endpoint) return Unexpected{"--listen: " + net::formatEndpointError(options.listen, endpoint.error())};
  config.listen = *endpoint;
  auto service = serviceFromName(options.service);
  if (!service) {
    return Unexpected{fmt::format("--service: unknown service '{}' (expected one of: {})",
                                  escapeForDisplay(options.service, 40), listNames(serviceTable()))};
  }
  config.service = *service;
  auto fault = faultFromName(options.fault);
  if (!fault) {
    return Unexpected{fmt::format("--fault: unknown fault '{}' (expected one of: {})",
                                  escapeForDisplay(options.fault, 40), listNames(faultTable()))};
  }
  config.fault = *fault;
  config.backlog = options.backlog;
  config.maxPayload = options.maxPayload;
  config.maxConnections = options.maxConnections;
  config.tcpNoDelay = options.tcpNoDelay == "on";
  config.sendBuffer = options.sendBuffer;
  return config;
}

}  // namespace sockspec::server
