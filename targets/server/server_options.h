// The sockspec-server command line: every option defined once here, with its default and help text.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "base/expected.h"
#include "server_config.h"

namespace sockspec::server {

struct ServerOptions {
  std::string listen;
  std::string service;
  std::string fault = "none";
  std::string eventsPath;
  int backlog = 128;
  std::uint32_t maxPayload = proto::kDefaultMaxPayload;
  std::size_t maxConnections = 0;
  std::string tcpNoDelay = "on";
  int sendBuffer = 0;
};

void addServerOptions(CLI::App& app, ServerOptions& options);

// Checks what CLI11 cannot: the endpoint's syntax (with its column), names of services and faults.
Expected<ServerConfig, std::string> toServerConfig(const ServerOptions& options);

}  // namespace sockspec::server
