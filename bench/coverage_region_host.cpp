// coverage_region_host: runs a server with a coverage region, as `sockspec fuzz` would hand it one, but with
// no fuzzing: what bench/coverage_cost.sh needs to time the coverage runtime's work per request alone. Makes
// the region (blackbox/server_coverage.h), names it in SOCKSPEC_COVERAGE_MAP, starts PROGRAM with it (stdout
// and stderr inherited; it dies with this host), takes the edges every --take-every-ms (as the fuzzer takes
// them after each input, so the runtime keeps writing counters rather than finding them saturated), passes
// SIGTERM and SIGINT on, and when PROGRAM ends prints
//   result mode=coverage-region-host edges_in_binary=M edges_seen=K inline_counters=0|1
// on stderr and exits with PROGRAM's status (128 + signal when a signal ended it).
//   coverage_region_host [--take-every-ms N] -- PROGRAM [ARG...]
// Exit status besides PROGRAM's: 2 bad usage, 3 the region or the child could not be made.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "base/coverage_map_layout.h"
#include "base/exit_codes.h"
#include "base/deadline.h"
#include "blackbox/server_coverage.h"
#include "process/child_process.h"

namespace {

volatile sig_atomic_t g_forward = 0;
void remember(int signalNumber) { g_forward = signalNumber; }

}  // namespace

int main(int argc, char** argv) {
  using namespace sockspec;
  CLI::App app{"Runs PROGRAM with a grey-box coverage region and takes its edges as sockspec fuzz would"};
  unsigned takeEveryMs = 1;
  std::vector<std::string> command;
  app.add_option("--take-every-ms", takeEveryMs, "Take (read and clear) the edges this often")->check(CLI::Range(1, 10000));
  app.add_option("command", command, "PROGRAM [ARG...] (after --)")->required();
  CLI11_PARSE(app, argc, argv);

  auto coverage = blackbox::ServerCoverage::create();
  if (!coverage) {
    std::fprintf(stderr, "coverage_region_host: %s\n", coverage.error().c_str());
    return kExitInternal;
  }
  if (::setenv(SOCKSPEC_COVERAGE_ENV, coverage->path().c_str(), 1) != 0) {
    std::perror("coverage_region_host: setenv");
    return kExitInternal;
  }
  struct sigaction action {};
  action.sa_handler = remember;
  ::sigaction(SIGTERM, &action, nullptr);
  ::sigaction(SIGINT, &action, nullptr);
  process::SpawnOptions options;
  options.captureStdout = false;  // inherited, as the host's stderr
  auto child = process::ChildProcess::spawn(command, options);
  if (!child) {
    std::fprintf(stderr, "coverage_region_host: %s\n", child.error().c_str());
    return kExitInternal;
  }
  std::vector<std::uint8_t> edges(blackbox::ServerCoverage::kEdgeSlots);
  std::optional<process::ExitStatus> status;
  // Ends with the child, which the caller stops (SIGTERM and SIGINT are passed on).
  while (!(status = child->wait(Deadline::after(std::chrono::milliseconds(takeEveryMs))))) {
    if (g_forward != 0) {
      child->signal(g_forward);
      g_forward = 0;
    }
    coverage->takeEdges(edges);
    (void)coverage->takeComparisons();
  }
  std::fprintf(stderr, "result mode=coverage-region-host edges_in_binary=%u edges_seen=%zu inline_counters=%d\n",
               coverage->edgesInBinary(), coverage->edgesSeen(), coverage->inlineCounters() ? 1 : 0);
  return status->exited ? status->code : 128 + status->signal;
}
