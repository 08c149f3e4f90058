// Starting the user's server for target mode: `--target-cmd 'CMD ... {port}'`. Picks a free port, puts it
// in the command (and in a --target URL that says {port}), runs the command with /bin/sh -c, waits until
// the endpoint serves, checks that the socket serving it is the command's own (not another program's that
// had the port), and stops it afterwards: SIGTERM to everything it started, then SIGKILL, all reaped.
//
// Why /bin/sh -c rather than splitting the command ourselves: users write the command as they would in a
// shell (quotes, $VARS, `cd dir && ./server`, redirections), and any home-made splitter would disagree with
// sh somewhere. A simple command is run as `exec CMD`, so the server replaces the shell and its own exit
// status is seen; a compound one (`cd dir && ./server`) runs under sh, which reports a child killed by
// signal N as exit 128+N. Everything the command starts runs under a tree supervisor (tree_supervisor.h), a
// child subreaper, so a server that daemonizes (`setsid -f`, a double fork) is still found and stopped.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "base/temp_directory.h"
#include "net/endpoint.h"
#include "process/child_process.h"
#include "process/interrupt_signals.h"

namespace sockspec::process {

inline constexpr std::string_view kPortPlaceholder = "{port}";
inline constexpr std::string_view kDefaultTargetUrl = "tcp://127.0.0.1:{port}";

// Every `placeholder` in `text` replaced by `value` (a value holding the placeholder is not expanded again).
std::string substitutePlaceholder(std::string_view text, std::string_view placeholder, std::string_view value);
// Every "{port}" in `text` replaced by the number.
std::string substitutePort(std::string_view text, std::uint16_t port);

// A port that was free a moment ago on the endpoint's host, for its transport: bind port 0, read the port
// the kernel chose, close. Another program may take it before the target binds (nothing can reserve a
// port across exec); the target then fails to bind and the error says so.
Expected<std::uint16_t, std::string> pickFreePort(const net::Endpoint& endpoint);

struct ResolvedTarget {
  net::Endpoint endpoint;  // where the started server will serve
  std::string command;     // the command with {port} filled in
};

// The endpoint and command for `--target-cmd command [--target url]`. An inet URL with {port} or port 0
// gets a free port; one with a fixed port gives that port to {port}. A unix URL has no port: nothing is
// substituted, and a {port} left in the command is an error (the program would get the literal text).
Expected<ResolvedTarget, std::string> resolveTarget(std::string_view command, std::string_view targetUrl);

// The grace a server gets to stop on SIGTERM once the run was interrupted.
inline constexpr std::chrono::milliseconds kInterruptedStopGrace{300};

struct TargetCommandOptions {
  std::string command;                          // --target-cmd
  std::string targetUrl{kDefaultTargetUrl};     // --target
  std::chrono::milliseconds readyTimeout{10000};  // how long the server may take to serve
  // SIGINT/SIGTERM (process/interrupt_signals.h): the wait for the server to serve ends when it is raised,
  // and a stop after it gives the server kInterruptedStopGrace, not stopGrace.
  const volatile std::sig_atomic_t* stopRequested = nullptr;
  std::chrono::milliseconds stopGrace{2000};    // SIGTERM to SIGKILL
  std::string workDirectory;  // where its private folder goes ("": $TMPDIR); see TargetSpec::workDirectory
};

class TargetCommand {
 public:
  // Starts the command and waits until its endpoint serves. Fails with a message that says which: the
  // command exited first ("target command exited (exit 1) before serving tcp://127.0.0.1:4242: <output
  // tail>"), or did not serve within the deadline (it is stopped then). Stream and seqpacket endpoints
  // serve once a connect succeeds, unix-dgram once connect(2) finds the bound socket; a UDP endpoint
  // serves once a socket is bound to its port (read from /proc/net/udp and udp6): binding is the moment
  // datagrams start to queue for the server, and probing with a datagram would be a request it answers.
  static Expected<TargetCommand, std::string> start(const TargetCommandOptions& options);

  TargetCommand(TargetCommand&& other) noexcept;
  TargetCommand& operator=(TargetCommand&& other) noexcept;
  TargetCommand(const TargetCommand&) = delete;
  TargetCommand& operator=(const TargetCommand&) = delete;
  ~TargetCommand();  // stop()

  const net::Endpoint& endpoint() const { return m_endpoint; }
  const std::string& command() const { return m_command; }
  // The tree supervisor's pid (child_process.h, superviseTree): the command runs below it.
  pid_t pid() const { return m_child ? m_child->pid() : -1; }
  // The server's processes: everything below its supervisor (the shell, the server, what it forked or
  // daemonized); empty once stopped.
  std::vector<pid_t> processes() const;

  // How the server ended, without waiting; nullopt while it runs.
  std::optional<ExitStatus> exitStatus();
  // "exit 1", "killed by SIGSEGV", "exit 139 (a shell's report of SIGSEGV)"; nullopt while it runs.
  std::optional<std::string> describeExit();
  // The last `maxBytes` of what it wrote to stdout and stderr (kept in a file while it runs).
  std::string outputTail(std::size_t maxBytes = 1000) const;
  // The same as written: any bytes, for a parser (blackbox/sanitizer_report.h), never for a console.
  std::string rawOutputTail(std::size_t maxBytes) const;
  // How many bytes of its output are kept now: never more than tree_supervisor.h's kOutputLimit (and the
  // line that says earlier output was dropped).
  std::uintmax_t outputSize() const;
  // SIGTERM to everything it started, up to the grace period (kInterruptedStopGrace once stopRequested is
  // raised: an interrupt ends a run within a second whatever the server does with SIGTERM), then SIGKILL;
  // reaped. Idempotent.
  ExitStatus stop();

 private:
  TargetCommand() = default;
  Expected<void, std::string> waitUntilServing(std::chrono::milliseconds timeout);
  bool interrupted() const { return raised(m_stopRequested); }
  Expected<void, std::string> checkServedByUs();

  std::optional<ChildProcess> m_child;
  net::Endpoint m_endpoint;
  std::string m_command;
  std::optional<TempDirectory> m_directory;  // holds the output file; removed when stopped
  std::chrono::milliseconds m_stopGrace{2000};
  const volatile std::sig_atomic_t* m_stopRequested = nullptr;
  std::optional<ExitStatus> m_stopped;
};

// The ExitStatus of a shell: sh reports a child killed by signal N as exit 128+N.
std::string describeTargetExit(const ExitStatus& status);

}  // namespace sockspec::process
