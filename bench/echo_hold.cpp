// hold: open many idle connections, each proven served by one echo, and charge the growth of the server's
// memory to them.
#include <fmt/format.h>
#include <poll.h>

#include <thread>
#include <vector>

#include "base/errno_names.h"
#include "base/sys_error.h"
#include "connection_opener.h"
#include "echo_modes.h"
#include "mode_report.h"
#include "process_memory.h"

namespace sockspec::bench {

namespace {

constexpr std::string_view kMode = "hold";

// How many held connections the server has closed, reset or written to unasked: one poll(2) pass, no wait.
Result<std::size_t> countDisturbed(const std::vector<OpenConnection>& connections) {
  std::vector<pollfd> entries;
  entries.reserve(connections.size());
  for (const OpenConnection& c : connections) entries.push_back(pollfd{c.fd.get(), POLLIN | POLLRDHUP, 0});
  int ready = ::poll(entries.data(), entries.size(), 0);
  if (ready < 0) return lastError("poll");
  return static_cast<std::size_t>(ready);
}

double kibPer(std::uint64_t before, std::uint64_t after, std::size_t connections) {
  if (connections == 0) return 0;
  return (static_cast<double>(after) - static_cast<double>(before)) / static_cast<double>(connections);
}

}  // namespace

int runHold(const HoldOptions& options) {
  if (options.connections == 0 || options.pid <= 0) {
    return reportFailure(kMode, kExitUsage, "USAGE",
                         "--connections must be at least 1 and --pid a process id");
  }
  double deadlineSeconds = options.common.deadlineSeconds > 0 ? options.common.deadlineSeconds : 180;
  Deadline deadline =
      Deadline::after(std::chrono::milliseconds(static_cast<long long>(deadlineSeconds * 1000)));

  auto before = measureProcessTree(options.pid);
  if (!before) return reportFailure(kMode, kExitUsage, "ESRCH", before.error());

  // Drain: connections already connecting when the first failure came still count if they are served.
  OpenOptions open{options.connections, options.common.inFlight, true, options.common.connectTimeout, true};
  OpenedConnections opened = openEchoConnections(options.common.endpoint, open, deadline);
  std::this_thread::sleep_for(options.settle);

  auto after = measureProcessTree(options.pid);
  if (!after) {
    return reportFailure(
        kMode, kExitCheckFailed, "ESRCH",
        fmt::format("after opening {} connections: {}", opened.connections.size(), after.error()),
        fmt::format("target={} held={}", options.connections, opened.connections.size()));
  }
  auto disturbed = countDisturbed(opened.connections);
  if (!disturbed) {
    return reportCallFailure(kMode, disturbed.error());
  }

  std::size_t held = opened.connections.size() - *disturbed;
  double rssPer = kibPer(before->rssKib, after->rssKib, held);
  double pssPer = kibPer(before->pssKib, after->pssKib, held);
  std::string fields = fmt::format(
      "target={} held={} open_seconds={:.3f} processes_before={} processes_after={} rss_before_kib={} "
      "rss_after_kib={} pss_before_kib={} pss_after_kib={} rss_kib_per_connection={:.2f} "
      "pss_kib_per_connection={:.2f}",
      options.connections, held, opened.seconds, before->processes, after->processes, before->rssKib,
      after->rssKib, before->pssKib, after->pssKib, rssPer, pssPer);
  fmt::print(
      "hold: {} of {} connections held (opened in {:.2f} s); pid {} and descendants: {} -> {} processes, "
      "RSS {} -> {} KiB, PSS {} -> {} KiB; per connection {:.2f} KiB RSS, {:.2f} KiB PSS\n",
      held, options.connections, opened.seconds, options.pid, before->processes, after->processes,
      before->rssKib, after->rssKib, before->pssKib, after->pssKib, rssPer, pssPer);

  if (opened.failure) {
    bool unreachable = opened.connections.empty() && opened.failure->stage == OpenStage::Connect;
    return reportFailure(kMode, unreachable ? kExitUsage : kExitCheckFailed, opened.failure->cause,
                         fmt::format("{}: {} of {} connections held; the first failure, at connection {}: {}",
                                     options.common.endpoint.toString(), held, options.connections,
                                     opened.failure->index, opened.failure->reason),
                         fields);
  }
  if (*disturbed > 0) {
    return reportFailure(
        kMode, kExitCheckFailed, "DROPPED",
        fmt::format("the server closed, reset or wrote to {} of the {} connections while they were "
                    "held idle",
                    *disturbed, opened.connections.size()),
        fields);
  }
  fmt::print("result mode=hold status=ok {}\n", fields);
  return kExitOk;
}

}  // namespace sockspec::bench
