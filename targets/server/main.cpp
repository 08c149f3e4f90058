// sockspec-server: the reference server. Usage and exit codes: docs/server.md.
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "base/exit_codes.h"
#include "cli_support/parse_command_line.h"
#include "events/json_event_log.h"
#include "reference_server.h"
#include "server_options.h"

namespace {

sockspec::server::ReferenceServer* g_server = nullptr;
volatile sig_atomic_t g_signal = 0;

void onStopSignal(int number) {
  g_signal = number;
  if (g_server != nullptr) g_server->requestStop();
}

void installStopHandlers() {
  struct sigaction action {};
  action.sa_handler = onStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  // The socket layer sends with MSG_NOSIGNAL; ignoring SIGPIPE as well covers any other write.
  signal(SIGPIPE, SIG_IGN);
}

// Thousands of connections need thousands of descriptors: take the hard limit (getrlimit(2)).
void raiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "sockspec-server: %s\n", message.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sockspec;
  CLI::App app{"The sockspec reference server: echo, discard, chargen, daytime and framed over TCP, UDP and "
               "unix sockets, on one non-blocking epoll thread.\nPrints 'listening URL' once it serves; "
               "SIGTERM closes the connections, then the listener, and exits 0.",
               "sockspec-server"};
  server::ServerOptions options;
  server::addServerOptions(app, options);
  if (auto exitCode = cli_support::parseCommandLine(app, argc, argv, [](const CLI::ParseError& error) -> int {
        return fail(kExitUsage, fmt::format("{} (run with --help)", error.what()));
      })) {
    return *exitCode;
  }

  auto config = server::toServerConfig(options);
  if (!config) return fail(kExitUsage, config.error());

  std::unique_ptr<events::JsonEventLog> eventLog;
  std::optional<events::ScopedCallObserver> observing;
  if (!options.eventsPath.empty()) {
    auto opened = events::JsonEventLog::open(options.eventsPath, "sockspec-server");
    if (!opened) return fail(kExitUsage, fmt::format("--events: {}", opened.error()));
    eventLog = std::move(*opened);
    observing.emplace(eventLog.get());
  }

  raiseDescriptorLimit();
  installStopHandlers();
  auto started = server::ReferenceServer::start(*config);
  if (!started) return fail(kExitUsage, started.error());
  auto& instance = **started;
  g_server = &instance;

  std::printf("listening %s\n", instance.local().toString().c_str());
  std::fflush(stdout);

  auto served = instance.run();
  if (eventLog && g_signal != 0) {
    const char* name = sigabbrev_np(g_signal);
    eventLog->note("signal", name != nullptr ? fmt::format("SIG{}", name) : std::to_string(g_signal));
  }
  instance.closeAll();
  g_server = nullptr;
  if (!served) return fail(kExitInternal, served.error().describe());
  return kExitOk;
}
