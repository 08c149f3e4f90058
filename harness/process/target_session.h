// TargetSession: the one "server under test" of `run`, `fuzz` and `replay`. Either a server sockspec starts
// from --target-cmd (TargetCommand: a free port, waited for until it serves, its whole process group stopped
// and reaped at the end, restartable after a crash), or one somebody else runs at a --target URL, which is
// only probed. "{events}" in the command names a file in the session's private folder for the server's
// --events log (docs/events.md), a new one for each start (a fresh server per check), each checked for
// lifecycle order once the server has stopped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "base/temp_directory.h"
#include "events/lifecycle_order.h"
#include "net/endpoint.h"
#include "net/endpoint_sockets.h"
#include "net/unique_fd.h"
#include "process/interrupt_signals.h"
#include "process/target_command.h"

namespace sockspec::process {

inline constexpr std::string_view kEventsPlaceholder = "{events}";

// What the command line says about the server under test.
struct TargetSpec {
  std::string command;  // --target-cmd; empty: only --target
  std::string url;      // --target; with a command it may say {port} (empty: tcp://127.0.0.1:{port})
  std::chrono::milliseconds readyTimeout{10000};  // how long a started server may take to serve
  std::chrono::milliseconds probeTimeout{5000};   // how long a probe connection may take
  std::chrono::milliseconds stopGrace{2000};      // SIGTERM to SIGKILL
  bool eventsLog = false;  // substitute {events} in the command (run's lifecycle-order check)
  // With a command: each check gets a freshly started server (beginCheck restarts it), so that one check's
  // crash or leftovers cannot become the next one's failure. Off: one server for the whole run (--keep-target).
  bool freshPerCheck = false;
  // SIGINT/SIGTERM: a start (or restart) that is still waiting for the server to serve gives up at once.
  const volatile std::sig_atomic_t* stopRequested = nullptr;
  // Where the session's files go ("": private folders under $TMPDIR). A scenario job's server puts them in
  // the job's work directory, which the runner's parent process removes: the job itself may have given up
  // root (--user) by the time its server stops, and could not remove what root made.
  std::string workDirectory;
};

class TargetSession {
 public:
  // Starts the command and waits until it serves, or parses the URL and, for a stream, seqpacket or
  // unix-dgram endpoint, checks that a connect succeeds (a UDP server cannot be probed without sending it a
  // request). The message names the option, the command or the endpoint, and the errno.
  static Expected<TargetSession, std::string> open(const TargetSpec& spec);

  const net::Endpoint& endpoint() const { return m_endpoint; }
  bool startedByUs() const { return !m_spec.command.empty(); }
  // Whether each check gets a fresh server (a command, without --keep-target).
  bool freshPerCheck() const { return m_spec.freshPerCheck && startedByUs(); }
  pid_t pid() const { return m_command ? m_command->pid() : -1; }
  // The command with its port filled in, quoted, or the URL.
  std::string describe() const;
  // The --events logs the servers were told to write, one per start, in order (none unless the spec asked
  // for them).
  const std::vector<std::string>& eventsLogPaths() const { return m_eventsPaths; }
  // The lifecycle-order check of the log of start `index` (events/lifecycle_order.h); nullopt when it cannot
  // be read. Each log is created, and opened for reading, before its server starts, and read through that
  // descriptor: a scenario job reads it after giving up root (--user), when the folders above it may be
  // closed to it. Call it after stop(): a running server may still be writing.
  std::optional<events::OrderReport> checkEventsLog(std::size_t index) const;

  // How the server we started ended ("killed by SIGABRT"), without waiting; nullopt while it runs, and
  // always for a server we did not start.
  std::optional<std::string> describeExit();
  // The same, waiting up to `grace` for it to end.
  std::optional<std::string> endedHow(std::chrono::milliseconds grace);
  // Whether the server we started (the process its command became) has begun to exit: a server that dies
  // closes its sockets (exit_files(), kernel/exit.c) before its exit status can be had, so a close that may
  // be its death is checked here at once. False for a server we did not start.
  bool commandExiting() const;
  // The last `maxBytes` of what the server we started (its latest start) wrote to stdout and stderr, as
  // written; empty for a server we did not start.
  std::string rawOutputTail(std::size_t maxBytes) const {
    return m_command ? m_command->rawOutputTail(maxBytes) : std::string();
  }
  // Whether a new connection is accepted within the probe timeout; the failure otherwise.
  std::optional<net::EndpointFailure> probe() const;
  // Stops the server we started and starts it again (on a fresh port when the URL says {port}).
  Expected<void, std::string> restart();
  // Before a check: the endpoint the check talks to; with freshPerCheck, every check after the first gets a
  // restarted server. The error says why there is none (the command failed to start again).
  Expected<net::Endpoint, std::string> beginCheck();
  // After a check that failed: what became of the server, when it is not well - "died during this check
  // (killed by SIGSEGV)", "stopped answering after this check (connect to ...: ECONNREFUSED)" - else
  // nullopt. A datagram server can only be found dead (probing it would be a request). Once interrupted
  // (TargetSpec::stopRequested): nullopt at once.
  std::optional<std::string> troubleAfterCheck();
  // The server's processes (what its command started, daemonized or not); empty for a server we did not
  // start or once it is stopped.
  std::vector<pid_t> processes() const { return m_command ? m_command->processes() : std::vector<pid_t>{}; }
  // Stops the server we started (its whole process group, reaped). Returns how it had ended on its own
  // before being stopped, if it had. Idempotent; the events log stays until the session goes.
  std::optional<std::string> stop();

 private:
  explicit TargetSession(TargetSpec spec) : m_spec(std::move(spec)) {}
  Expected<void, std::string> startCommand();
  bool interrupted() const { return raised(m_spec.stopRequested); }

  TargetSpec m_spec;
  std::optional<TempDirectory> m_eventsDirectory;  // owns m_eventsFolder unless the spec gave a work directory
  std::string m_eventsFolder;
  std::vector<std::string> m_eventsPaths;
  std::vector<net::UniqueFd> m_eventsReaders;  // one per path, opened O_RDONLY when it was created
  std::optional<TargetCommand> m_command;
  net::Endpoint m_endpoint;
  std::size_t m_checksBegun = 0;
};

}  // namespace sockspec::process
