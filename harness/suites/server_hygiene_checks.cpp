// The server profile's hygiene family: the server's process tree (descriptors, sockets in CLOSE-WAIT,
// resident memory; process_facts.h) before and after about a thousand connections of one kind. A leak is
// growth that scales with the connections. Only when the target's processes are known (--target-cmd).
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <thread>

#include "process/process_facts.h"
#include "suites/server_checks.h"
#include "suites/server_exchange.h"

namespace sockspec::suites::server {

namespace {

constexpr std::size_t kConnections = 1000;
constexpr std::size_t kWarmUp = 16;   // before the first measure: lazily made buffers and pools
constexpr std::size_t kFewest = 100;  // fewer connections than this make no verdict
constexpr std::uint64_t kMemoryTolerance = 8u << 20;

enum class Kind { Silent, Reset, Request, HalfClose };

std::string_view describeKind(Kind kind) {
  switch (kind) {
    case Kind::Silent:
      return "clients that connected and closed without a word";
    case Kind::Reset:
      return "clients that sent half a request and reset (RST)";
    case Kind::Request:
      return "clients that sent the request, read the reply and closed first";
    case Kind::HalfClose:
      return "clients that sent the request with their FIN (shutdown(SHUT_WR)) and read the reply";
  }
  return "?";
}

std::optional<std::string> oneConnection(const CheckContext& context, Kind kind) {
  waitForAcceptQueueRoom(context.target, context.deadline);
  auto client = connectClient(context, ConnectOptions{0, true, 0});
  if (!client) return client.error();
  switch (kind) {
    case Kind::Silent:
      client->close();
      return std::nullopt;
    case Kind::Reset: {
      std::size_t half = std::max<std::size_t>(1, context.request.size() / 2);
      if (auto sent = client->sendAll(net::asBytes(context.request).subspan(0, half), context.deadline,
                                      context.timeout);
          !sent) {
        return sent.error();
      }
      // No wait for the server's read here (server.reset-mid-request does wait): whenever the RST comes, the
      // server's next recv() after the half it may read fails with ECONNRESET (tcp_reset() sets sk_err,
      // also on a connection still in the accept queue), and waiting cost a loaded machine ~40 ms a
      // connection.
      client->abort();
      return std::nullopt;
    }
    case Kind::Request: {
      auto problem = requestOnce(context, *client);
      client->close();
      return problem;
    }
    case Kind::HalfClose: {
      (void)net::setIntOption(client->fd(), IPPROTO_TCP, TCP_CORK, 1);
      if (auto sent = client->sendAll(net::asBytes(context.request), context.deadline, context.timeout);
          !sent) {
        return sent.error();
      }
      if (auto shut = client->shutdownWrite(); !shut) return shut.error().describe();
      ReplyWait wait = readReplies(*client, *context.reply, 1, context.deadline);
      client->close();
      if (wait.replies != 1) return describeReplies(context, 1, wait);
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string mebibytes(std::uint64_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
}

std::string describeFacts(const process::ProcessTreeFacts& before, const process::ProcessTreeFacts& after) {
  return fmt::format(
      "descriptors {} -> {}, sockets {} -> {}, CLOSE-WAIT sockets {} -> {}, RSS {} -> {} ({} "
      "process{})",
      before.descriptors, after.descriptors, before.sockets, after.sockets, before.closeWaitSockets,
      after.closeWaitSockets, mebibytes(before.residentBytes), mebibytes(after.residentBytes),
      after.processes, after.processes == 1 ? "" : "es");
}

CheckOutcome hygiene(const CheckContext& context, Kind kind) {
  if (!context.targetProcesses) {
    return CheckOutcome::skip(
        "the target's processes are not known (a --target URL): run it with --target-cmd");
  }
  auto pids = context.targetProcesses();
  if (pids.empty()) return CheckOutcome::skip("the target's processes are not known (it has exited?)");
  // Most of the deadline for the connections, the rest for the server to settle. A connection that does not
  // go as planned (a reply missing, a connect stalled on a full accept queue) is another check's verdict:
  // here it is only counted, and a stalled one ends the series.
  CheckContext series = context;
  series.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(context.timeout * 0.6);
  series.deadline = Deadline::after(series.timeout).orEarlier(context.deadline);
  std::size_t troubled = 0;
  std::string firstTrouble;
  auto connectOnce = [&]() {
    auto problem = oneConnection(series, kind);
    if (!problem) return;
    if (troubled++ == 0) firstTrouble = *problem;
  };
  for (std::size_t i = 0; i < kWarmUp && !series.deadline.expired(); ++i) connectOnce();
  process::ProcessTreeFacts before = process::readProcessTreeFacts(pids);
  std::size_t done = 0;
  for (; done < kConnections && !series.deadline.expired(); ++done) connectOnce();
  if (done < kFewest) {
    return CheckOutcome::skip(fmt::format(
        "only {} {} in {} ms, too few to judge a leak{}", done, describeKind(kind), series.timeout.count(),
        troubled > 0 ? fmt::format(" (the first trouble: {})", firstTrouble) : std::string()));
  }
  const std::size_t tolerance = std::max<std::size_t>(8, done / 10);
  // Until the server has dealt with the last of them (or the deadline): every 5 ms.
  process::ProcessTreeFacts after;
  for (;;) {
    pids = context.targetProcesses();
    after = process::readProcessTreeFacts(pids);
    bool settled = after.descriptors <= before.descriptors + tolerance &&
                   after.closeWaitSockets <= before.closeWaitSockets + tolerance;
    if (settled || context.deadline.expired()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::string facts = fmt::format("after {} {}: {}", done, describeKind(kind), describeFacts(before, after));
  if (troubled > 0) {
    facts += fmt::format("; {} connections did not go as planned, the first: {}", troubled, firstTrouble);
  }
  std::vector<std::string> leaks;
  if (after.closeWaitSockets > before.closeWaitSockets + tolerance) {
    leaks.push_back(
        "connections left in CLOSE-WAIT: the server does not close a connection when recv() returns 0");
  } else if (after.descriptors > before.descriptors + tolerance) {
    leaks.push_back(kind == Kind::Reset
                        ? "descriptors leak: the server does not close a connection whose recv() or "
                          "send() failed with ECONNRESET"
                        : "descriptors leak: the server does not close every connection it accepted");
  }
  std::uint64_t memoryTolerance = std::max<std::uint64_t>(kMemoryTolerance, before.residentBytes / 2);
  if (after.residentBytes > before.residentBytes + memoryTolerance) {
    leaks.push_back(fmt::format("memory grew by {} ({} bytes a connection; {} allowed)",
                                mebibytes(after.residentBytes - before.residentBytes),
                                (after.residentBytes - before.residentBytes) / std::max<std::size_t>(1, done),
                                mebibytes(memoryTolerance)));
  }
  if (!leaks.empty()) return CheckOutcome::fail(fmt::format("{}; {}", facts, fmt::join(leaks, "; ")));
  return CheckOutcome::pass(facts);
}

}  // namespace

CheckOutcome hygieneSilentClients(const CheckContext& context) {
  return hygiene(context, Kind::Silent);
}
CheckOutcome hygieneResetClients(const CheckContext& context) {
  return hygiene(context, Kind::Reset);
}
CheckOutcome hygieneRequests(const CheckContext& context) {
  return hygiene(context, Kind::Request);
}
CheckOutcome hygieneHalfClose(const CheckContext& context) {
  return hygiene(context, Kind::HalfClose);
}

}  // namespace sockspec::suites::server
