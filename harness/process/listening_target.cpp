#include "process/listening_target.h"

#include <fmt/format.h>

#include "base/display_escape.h"

namespace sockspec::process {

Expected<ListeningTarget, std::string> startListeningTarget(const std::vector<std::string>& argv,
                                                            Deadline deadline, const SpawnOptions& options) {
  SpawnOptions withStdout = options;
  withStdout.captureStdout = true;
  auto child = ChildProcess::spawn(argv, withStdout);
  if (!child) return Unexpected{child.error()};

  auto line = child->readLine(deadline);
  constexpr std::string_view kPrefix = "listening ";
  if (!line) {
    auto status = child->wait(Deadline::after(std::chrono::milliseconds(200)));
    std::string stderrText = options.captureStderr
                                 ? child->readAllStderr(Deadline::after(std::chrono::milliseconds(200)))
                                 : std::string();
    std::string why = status ? fmt::format("it ended ({})", status->describe())
                             : std::string("it printed no 'listening URL' line in time");
    return Unexpected{fmt::format("{}: {}{}{}", argv[0], why, stderrText.empty() ? "" : ": ",
                                  escapeForDisplay(stderrText, 400))};
  }
  if (line->rfind(kPrefix, 0) != 0) {
    return Unexpected{fmt::format("{}: expected 'listening URL' as the first line, got '{}'", argv[0],
                                  escapeForDisplay(*line))};
  }
  std::string url = line->substr(kPrefix.size());
  auto endpoint = net::parseEndpoint(url);
  if (!endpoint) return Unexpected{fmt::format("{}: {}", argv[0], net::formatEndpointError(url, endpoint.error()))};
  return ListeningTarget{std::move(*child), std::move(*endpoint)};
}

}  // namespace sockspec::process
