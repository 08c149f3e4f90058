// sockspec-server: the reference server. Usage and exit codes: docs/server.md.
#include <signal.h>
#include <sys/resource.h>

#include <atomic>
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

// Lock-free atomics, so that the handler may read them (signal-safety(7)); seq_cst, so that main's store of
// g_server and its read of g_signal cannot pass each other (see main()).
std::atomic<sockspec::server::ReferenceServer*> g_server{nullptr};
std::atomic<int> g_signal{0};
static_assert(std::atomic<sockspec::server::ReferenceServer*>::is_always_lock_free);
static_assert(std::atomic<int>::is_always_lock_free);

void onStopSignal(int number) {
  g_signal.store(number);
  if (auto* server = g_server.load(); server != nullptr) server->requestStop();
}

void installStopHandlers() {
  struct sigaction action {};
  action.sa_handler = onStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  // A parent that had them blocked (a supervisor between fork and exec, a shell's trap) would leave the
  // server deaf to them: a stop request would wait for SIGKILL. The mask is inherited across execve(2).
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  sigprocmask(SIG_UNBLOCK, &stopSignals, nullptr);
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
  g_server.store(&instance);
  // A signal that came before the store found no server to stop: it is taken here. One that comes after
  // it reaches requestStop() itself.
  if (g_signal.load() != 0) instance.requestStop();

  std::printf("listening %s\n", instance.local().toString().c_str());
  std::fflush(stdout);

  auto served = instance.run();
  if (int signal = g_signal.load(); eventLog && signal != 0) {
    const char* name = sigabbrev_np(signal);
    eventLog->note("signal", name != nullptr ? fmt::format("SIG{}", name) : std::to_string(signal));
  }
  g_server.store(nullptr);
  instance.closeAll();
  if (!served) return fail(kExitInternal, served.error().describe());
  return kExitOk;
}
