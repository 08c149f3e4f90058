// The server under black-box test: started by us from --target-cmd (TargetCommand: a free port, waited for
// until it serves, stopped and reaped), or only reached at a --target URL that somebody else runs. Only a
// server we started can be watched for its exit status and restarted after a finding.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

#include "base/expected.h"
#include "net/endpoint.h"
#include "net/endpoint_sockets.h"
#include "process/target_command.h"

namespace sockspec::blackbox {

struct FuzzTargetOptions {
  std::string command;    // --target-cmd; empty: only --target
  std::string targetUrl;  // --target; with a command it may say {port} (default tcp://127.0.0.1:{port})
  std::chrono::milliseconds readyTimeout{10000};
  std::chrono::milliseconds connectTimeout{1000};

  // What `sockspec fuzz` and `sockspec replay` both take from their --target, --target-cmd, --ready-timeout
  // and --hang-timeout: a command without a URL serves at the default tcp://127.0.0.1:{port}.
  static FuzzTargetOptions fromCommandLine(const std::string& target, const std::string& command,
                                           int readyTimeoutMs, int hangTimeoutMs);
};

class FuzzTarget {
 public:
  // Starts the command and waits until it serves, or checks that the URL accepts a connection. The
  // message names the command or the endpoint and the errno.
  static Expected<FuzzTarget, std::string> start(const FuzzTargetOptions& options);

  const net::Endpoint& endpoint() const { return m_endpoint; }
  bool startedByUs() const { return m_command.has_value(); }
  pid_t pid() const { return m_command ? m_command->pid() : -1; }
  // The command with its port filled in, or the URL.
  std::string describe() const;

  // How the server we started ended ("killed by SIGABRT"), waiting up to `grace` for it; nullopt while it
  // runs, and always for a server we did not start.
  std::optional<std::string> endedHow(std::chrono::milliseconds grace);
  // Whether a new connection is accepted within the connect timeout; the failure otherwise.
  std::optional<net::EndpointFailure> probe() const;
  // Stops the server we started and starts it again (on a fresh port when the URL says {port}).
  Expected<void, std::string> restart();
  void stop();

 private:
  explicit FuzzTarget(FuzzTargetOptions options) : m_options(std::move(options)) {}

  FuzzTargetOptions m_options;
  std::optional<process::TargetCommand> m_command;
  net::Endpoint m_endpoint;
};

}  // namespace sockspec::blackbox
