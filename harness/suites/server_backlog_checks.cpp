// The server profile's backlog family: the backlog the server's listener really has (the kernel's view,
// sock_diag), and what a burst of connections gets from it, with the cause named from the kernel's
// counters and the server's descriptor limit.
#include <fmt/format.h>
#include <poll.h>

#include <algorithm>

#include "base/file_bytes.h"
#include "net/sock_addr.h"
#include "net/socket_ops.h"
#include "suites/accept_queue_cause.h"
#include "process/process_facts.h"
#include "suites/server_checks.h"
#include "suites/server_exchange.h"

namespace sockspec::suites::server {

namespace {

// The burst: as many clients as a busy server may see at once. A listener that holds fewer than this
// drops the SYNs of the rest whenever they come faster than it accepts.
constexpr std::size_t kBurst = 128;
// A connect still pending after this long is waiting on SYN retransmission (the first after 1 s, RFC 6298).
constexpr auto kSynWindow = std::chrono::milliseconds(200);

std::string somaxconn() {
  auto text = readFileBytes("/proc/sys/net/core/somaxconn", 64);
  if (!text) return "?";
  std::string value = *text;
  while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
  return value;
}

enum class Fate {
  Connecting,
  Sending,
  Receiving,
  Served,
  Refused,
  Reset,
  ClosedWithoutReply,
  WrongReply,
  Failed
};

struct BurstClient {
  net::UniqueFd fd;
  Fate fate = Fate::Connecting;
  bool waitedOnSyn = false;
  std::size_t sent = 0;
  std::vector<std::uint8_t> received;
  std::string error;
};

std::string_view textOf(const std::vector<std::uint8_t>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// The server's descriptor use against its limit, when its processes are known and one is near the limit.
std::optional<std::string> descriptorLimitCause(const CheckContext& context) {
  if (!context.targetProcesses) return std::nullopt;
  for (pid_t pid : context.targetProcesses()) {
    auto limit = process::openFileLimit(pid);
    if (!limit) continue;
    auto facts = process::readProcessTreeFacts({pid});
    if (facts.processes == 1 && facts.descriptors + 8 >= *limit) {
      return fmt::format(
          "process {} has {} descriptors open of its limit {} (/proc/{}/limits): accept() fails "
          "with EMFILE",
          pid, facts.descriptors, *limit, pid);
    }
  }
  return std::nullopt;
}

}  // namespace

CheckOutcome listenBacklog(const CheckContext& context) {
  auto sockets = net::listTcpSockets(AF_INET, net::tcpStateBit(net::TcpState::Listen));
  if (!sockets)
    return CheckOutcome::skip(fmt::format("sock_diag is not available: {}", sockets.error().describe()));
  auto listeners = findListeners(context.target);
  if (listeners.empty()) {
    return CheckOutcome::skip(
        fmt::format("no listener of {} in this network namespace (sock_diag): the server runs "
                    "elsewhere",
                    context.target.toString()));
  }
  std::uint32_t backlog = 0;
  std::uint32_t queued = 0;
  for (const auto& listener : listeners) {
    backlog = std::max(backlog, listener.sendQueue);
    queued += listener.receiveQueue;
  }
  std::string facts = fmt::format(
      "listener {}: backlog {} (ss Send-Q; somaxconn {}), {} waiting to be accepted (ss "
      "Recv-Q)",
      listeners.front().local.toString(), backlog, somaxconn(), queued);
  if (listeners.size() > 1)
    facts += fmt::format("; {} listeners (SO_REUSEPORT or IPv4 and IPv6)", listeners.size());
  if (queued > backlog) {
    return CheckOutcome::fail(
        fmt::format("{}: the accept queue is full at rest, so the server is not accepting "
                    "connections (blocked, or busy elsewhere)",
                    facts));
  }
  if (backlog + 1 < kBurst) {
    return CheckOutcome::fail(
        fmt::format("{}: the queue holds {} connections not yet accepted, so a burst of {} that comes faster "
                    "than the server "
                    "accepts has the rest of its SYNs dropped (listen(2); tcp_conn_request()) and those "
                    "clients wait 1 s, 3 s, "
                    "7 s on SYN retransmission; the program passes a small backlog to listen() (Python's "
                    "socketserver and "
                    "socat use 5)",
                    facts, backlog + 1, kBurst));
  }
  return CheckOutcome::pass(facts);
}

CheckOutcome connectionBurst(const CheckContext& context) {
  auto address = net::toSockAddr(context.target);
  if (!address) return CheckOutcome::fail(address.error());
  auto before = acceptQueueCountersNow();
  std::vector<BurstClient> clients(kBurst);
  auto started = Deadline::Clock::now();
  for (auto& client : clients) {
    auto fd = net::openSocket(address->family(), SOCK_STREAM, 0, net::Blocking::No);
    if (!fd) return CheckOutcome::fail(fmt::format("socket: {}", fd.error().describe()));
    client.fd = std::move(*fd);
    auto connected = net::connectSocket(client.fd.get(), *address);
    if (connected)
      client.fate = Fate::Sending;
    else if (connected.error().code != EINPROGRESS) {
      client.fate = connected.error().code == ECONNREFUSED ? Fate::Refused : Fate::Failed;
      client.error = connected.error().describe();
    }
  }
  bool synWindowOver = false;
  std::vector<pollfd> entries;
  std::vector<std::size_t> owners;
  std::vector<std::uint8_t> chunk(4096);
  // Bounded by the deadline: every turn polls with it, and ends when no client is still under way.
  for (;;) {
    if (!synWindowOver && Deadline::Clock::now() - started >= kSynWindow) {
      synWindowOver = true;
      for (auto& client : clients) {
        if (client.fate == Fate::Connecting) client.waitedOnSyn = true;
      }
    }
    entries.clear();
    owners.clear();
    for (std::size_t i = 0; i < clients.size(); ++i) {
      short events = clients[i].fate == Fate::Connecting  ? POLLOUT
                     : clients[i].fate == Fate::Sending   ? POLLOUT | POLLIN
                     : clients[i].fate == Fate::Receiving ? POLLIN
                                                          : 0;
      if (events == 0) continue;
      entries.push_back(pollfd{clients[i].fd.get(), events, 0});
      owners.push_back(i);
    }
    if (entries.empty() || context.deadline.expired()) break;
    int timeout = context.deadline.pollTimeoutMs();
    if (!synWindowOver) {
      auto window =
          std::chrono::ceil<std::chrono::milliseconds>(kSynWindow - (Deadline::Clock::now() - started));
      timeout = std::min<int>(timeout, static_cast<int>(std::max<long long>(window.count(), 1)));
    }
    int ready = ::poll(entries.data(), entries.size(), timeout);
    if (ready < 0 && errno != EINTR) break;
    for (std::size_t k = 0; ready > 0 && k < entries.size(); ++k) {
      if (entries[k].revents == 0) continue;
      BurstClient& client = clients[owners[k]];
      if (client.fate == Fate::Connecting) {
        auto outcome = net::pendingError(client.fd.get());
        int code = outcome ? *outcome : outcome.error().code;
        if (code == 0)
          client.fate = Fate::Sending;
        else {
          client.fate = code == ECONNREFUSED ? Fate::Refused
                        : code == ECONNRESET ? Fate::Reset
                                             : Fate::Failed;
          client.error = SysError{code, "connect"}.describe();
          continue;
        }
      }
      if (client.fate == Fate::Sending && client.sent < context.request.size()) {
        auto done = net::sendBytes(client.fd.get(), net::asBytes(context.request).subspan(client.sent));
        if (done)
          client.sent += *done;
        else if (done.error().code != EAGAIN) {
          client.fate =
              done.error().code == ECONNRESET || done.error().code == EPIPE ? Fate::Reset : Fate::Failed;
          client.error = done.error().describe();
          continue;
        }
        if (client.sent == context.request.size()) client.fate = Fate::Receiving;
      }
      if ((entries[k].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      auto got = net::recvBytes(client.fd.get(), chunk);
      if (!got) {
        if (got.error().code == EAGAIN) continue;
        client.fate = got.error().code == ECONNRESET ? Fate::Reset : Fate::Failed;
        client.error = got.error().describe();
        continue;
      }
      if (*got == 0) {
        client.fate = client.received.empty() ? Fate::ClosedWithoutReply : Fate::WrongReply;
        continue;
      }
      client.received.insert(client.received.end(), chunk.begin(), chunk.begin() + static_cast<long>(*got));
      ReplyScanner scanner(*context.reply);
      if (scanner.scan(textOf(client.received)) >= 1)
        client.fate = Fate::Served;
      else if (scanner.unmatchable(textOf(client.received)))
        client.fate = Fate::WrongReply;
    }
  }
  auto limitCause = descriptorLimitCause(context);  // while every client still holds its connection

  std::size_t served = 0, waited = 0, neverConnected = 0, noReply = 0, refused = 0, reset = 0, closed = 0,
              wrong = 0, failed = 0;
  std::string firstError;
  for (const auto& client : clients) {
    if (client.waitedOnSyn) ++waited;
    switch (client.fate) {
      case Fate::Served:
        ++served;
        break;
      case Fate::Connecting:
        ++neverConnected;
        break;
      case Fate::Sending:
      case Fate::Receiving:
        ++noReply;
        break;
      case Fate::Refused:
        ++refused;
        break;
      case Fate::Reset:
        ++reset;
        break;
      case Fate::ClosedWithoutReply:
        ++closed;
        break;
      case Fate::WrongReply:
        ++wrong;
        break;
      case Fate::Failed:
        ++failed;
        if (firstError.empty()) firstError = client.error;
        break;
    }
  }
  std::vector<std::string> parts;
  if (waited > 0)
    parts.push_back(fmt::format("{} waited on SYN retransmission (their SYN was dropped)", waited));
  if (neverConnected > 0) parts.push_back(fmt::format("{} were never connected", neverConnected));
  if (noReply > 0) parts.push_back(fmt::format("{} connected but got no reply", noReply));
  if (refused > 0) parts.push_back(fmt::format("{} were refused (RST to the SYN)", refused));
  if (reset > 0) parts.push_back(fmt::format("{} were reset", reset));
  if (closed > 0)
    parts.push_back(fmt::format("{} were accepted then closed at once without a reply", closed));
  if (wrong > 0) parts.push_back(fmt::format("{} got a reply that does not match", wrong));
  if (failed > 0) parts.push_back(fmt::format("{} failed ({})", failed, firstError));
  std::string facts = fmt::format("{} of {} clients connecting at once were served within {} ms", served,
                                  kBurst, context.timeout.count());
  if (!parts.empty()) facts += fmt::format("; {}", fmt::join(parts, ", "));
  if (served == kBurst) return CheckOutcome::pass(waited == 0 ? std::string() : facts);

  std::vector<std::string> causes;
  if (auto overflow = describeAcceptQueueCause(context.target, before)) causes.push_back(*overflow);
  if (closed > 0)
    causes.push_back("the server closes connections it has just accepted: a connection limit or rate limit");
  if (limitCause) causes.push_back(*limitCause);
  if (causes.empty()) {
    causes.push_back(
        "the kernel counted no accept-queue overflow, so the server accepted them and did not answer in "
        "time (too few workers, or it serves one connection at a time)");
  }
  return CheckOutcome::fail(fmt::format("{}; cause: {}", facts, fmt::join(causes, "; ")));
}

}  // namespace sockspec::suites::server
