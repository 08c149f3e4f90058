#include "suites/client_pool.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "net/sock_addr.h"
#include "net/socket_ops.h"
#include "net/unique_fd.h"

namespace sockspec::suites {

namespace {

enum class Phase { RetryConnect, Connecting, Sending, Receiving, Done };

struct PoolClient {
  net::UniqueFd fd;
  Phase phase = Phase::RetryConnect;
  std::size_t sent = 0;
};

bool wouldBlock(int code) { return code == EAGAIN || code == EWOULDBLOCK; }

constexpr std::size_t kReadChunk = 64 * 1024;
// How often connects refused with EAGAIN (a full AF_UNIX backlog, unix_stream_connect()) are tried again.
constexpr int kRetryConnectMs = 2;

class Pool {
 public:
  Pool(const net::Endpoint& target, std::span<const PoolRequest> requests)
      : m_target(target), m_requests(requests), m_clients(requests.size()), m_results(requests.size()) {}

  std::vector<PoolResult> run(Deadline deadline) {
    auto address = net::toSockAddr(m_target);
    if (!address) {
      for (auto& result : m_results) result.connectError = address.error();
      return std::move(m_results);
    }
    m_address = *address;
    for (std::size_t i = 0; i < m_clients.size(); ++i) open(i);
    std::vector<pollfd> entries;
    std::vector<std::size_t> owners;
    for (;;) {
      for (std::size_t i = 0; i < m_clients.size(); ++i) {
        if (m_clients[i].phase == Phase::RetryConnect) tryConnect(i);
      }
      entries.clear();
      owners.clear();
      bool retrying = false;
      for (std::size_t i = 0; i < m_clients.size(); ++i) {
        short events = interest(m_clients[i].phase);
        if (m_clients[i].phase == Phase::RetryConnect) retrying = true;
        if (events == 0) continue;
        entries.push_back(pollfd{m_clients[i].fd.get(), events, 0});
        owners.push_back(i);
      }
      if (entries.empty() && !retrying) break;
      if (deadline.expired()) break;
      int timeout = retrying ? std::min(deadline.pollTimeoutMs(), kRetryConnectMs) : deadline.pollTimeoutMs();
      int ready = ::poll(entries.data(), entries.size(), timeout);
      if (ready < 0 && errno != EINTR) break;
      for (std::size_t k = 0; ready > 0 && k < entries.size(); ++k) {
        if (entries[k].revents != 0) step(owners[k], entries[k].revents);
      }
    }
    for (std::size_t i = 0; i < m_clients.size(); ++i) {
      if (m_clients[i].phase == Phase::Done) continue;
      if (m_clients[i].phase == Phase::RetryConnect || m_clients[i].phase == Phase::Connecting) {
        if (m_results[i].connectError.empty()) m_results[i].connectError = "connect: no connection before the deadline";
      }
      m_results[i].end = StreamEnd::timedOut();
    }
    return std::move(m_results);
  }

 private:
  static short interest(Phase phase) {
    switch (phase) {
      case Phase::Connecting: return POLLOUT;
      case Phase::Sending: return POLLOUT | POLLIN;
      case Phase::Receiving: return POLLIN;
      case Phase::RetryConnect:
      case Phase::Done: return 0;
    }
    return 0;
  }

  void finish(std::size_t i, StreamEnd end) {
    m_results[i].end = end;
    m_clients[i].phase = Phase::Done;
    m_clients[i].fd.reset();
  }

  void open(std::size_t i) {
    auto fd = net::openSocket(net::familyOf(m_target), net::socketTypeOf(m_target.transport), 0, net::Blocking::No);
    if (!fd) {
      m_results[i].connectError = fd.error().describe();
      finish(i, StreamEnd::fromError(fd.error()));
      return;
    }
    m_clients[i].fd = std::move(*fd);
  }

  void tryConnect(std::size_t i) {
    auto connected = net::connectSocket(m_clients[i].fd.get(), m_address);
    if (connected) {
      m_clients[i].phase = Phase::Sending;
      return;
    }
    int code = connected.error().code;
    if (code == EINPROGRESS) {
      m_clients[i].phase = Phase::Connecting;
    } else if (code != EAGAIN) {
      m_results[i].connectError = connected.error().describe();
      finish(i, StreamEnd::fromError(connected.error()));
    }
  }

  void step(std::size_t i, short revents) {
    PoolClient& client = m_clients[i];
    if (client.phase == Phase::Connecting) {
      auto outcome = net::pendingError(client.fd.get());
      int code = outcome ? *outcome : outcome.error().code;
      if (code != 0) {
        SysError error{code, "connect"};
        m_results[i].connectError = error.describe();
        finish(i, StreamEnd::fromError(error));
        return;
      }
      client.phase = Phase::Sending;
    }
    if ((revents & (POLLIN | POLLHUP | POLLERR)) != 0 && client.phase != Phase::Done) receive(i);
    if (client.phase == Phase::Sending && (revents & POLLOUT) != 0) send(i);
  }

  void send(std::size_t i) {
    PoolClient& client = m_clients[i];
    const PoolRequest& request = m_requests[i];
    if (client.sent < request.request.size()) {
      auto sent = net::sendBytes(client.fd.get(), net::Bytes(request.request).subspan(client.sent));
      if (!sent) {
        if (wouldBlock(sent.error().code)) return;
        m_results[i].sendError = sent.error().describe();
        client.phase = Phase::Receiving;  // read on: how the server ended the connection is the story
        return;
      }
      client.sent += *sent;
      if (client.sent < request.request.size()) return;
    }
    if (request.halfCloseAfterSend) {
      if (auto shut = net::shutdownSocket(client.fd.get(), SHUT_WR); !shut) m_results[i].sendError = shut.error().describe();
    }
    client.phase = Phase::Receiving;
  }

  void receive(std::size_t i) {
    const PoolRequest& request = m_requests[i];
    auto& into = m_results[i].received;
    std::size_t before = into.size();
    into.resize(before + kReadChunk);
    auto received = net::recvBytes(m_clients[i].fd.get(), net::MutableBytes(into.data() + before, kReadChunk));
    into.resize(before + (received ? *received : 0));
    if (!received) {
      if (!wouldBlock(received.error().code)) finish(i, StreamEnd::fromError(received.error()));
      return;
    }
    if (*received == 0) {
      finish(i, StreamEnd::eof());
      return;
    }
    if (into.size() > request.expectBytes || (!request.readToEof && into.size() >= request.expectBytes)) {
      finish(i, StreamEnd::complete());
    }
  }

  const net::Endpoint& m_target;
  std::span<const PoolRequest> m_requests;
  net::SockAddr m_address;
  std::vector<PoolClient> m_clients;
  std::vector<PoolResult> m_results;
};

}  // namespace

std::vector<PoolResult> runClientPool(const net::Endpoint& target, std::span<const PoolRequest> requests,
                                      Deadline deadline) {
  return Pool(target, requests).run(deadline);
}

std::optional<std::string> summarizePool(const std::vector<PoolResult>& results, const PoolProblem& problemOf) {
  std::size_t failed = 0;
  std::string first;
  for (std::size_t i = 0; i < results.size(); ++i) {
    std::optional<std::string> problem =
        results[i].connectError.empty() ? problemOf(i, results[i]) : std::optional<std::string>(results[i].connectError);
    if (!problem) continue;
    if (failed++ == 0) first = fmt::format("client {}: {}", i + 1, *problem);
  }
  if (failed == 0) return std::nullopt;
  return fmt::format("{} of {} clients failed; {}", failed, results.size(), first);
}

}  // namespace sockspec::suites
