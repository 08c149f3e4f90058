// ReferenceServer: the reference target as an object, so that the sockspec-server program, the live tests
// and the in-process fuzzers all run the same code. One thread, one epoll set, non-blocking sockets.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "base/expected.h"
#include "datagram_server.h"
#include "net/epoll_set.h"
#include "server_config.h"
#include "stream_server.h"

namespace sockspec::server {

class ReferenceServer {
 public:
  // Binds (and listens) at config.listen. Fails with one line naming the endpoint and errno
  // ("tcp://127.0.0.1:80: bind: EACCES (Permission denied)") or the bad combination of options.
  static Expected<std::unique_ptr<ReferenceServer>, std::string> start(const ServerConfig& config);

  // Where it really listens: port 0 and autobind resolved.
  const net::Endpoint& local() const { return m_local; }

  // Serves until requestStop() or a failure of epoll itself. The sockets stay open: call closeAll() next
  // (the destructor closes them in the same order).
  Result<void> run();
  // Serves what is ready within `timeout`, then returns: for callers that interleave their own work.
  Result<void> runOnce(std::chrono::milliseconds timeout);
  // Safe from a signal handler or another thread.
  void requestStop() noexcept;
  // The orderly stop without the loop: accepted connections first, then the listener.
  void closeAll();

  const ServerCounters& counters() const { return m_counters; }
  std::size_t openConnections() const { return m_stream ? m_stream->openConnections() : 0; }

 private:
  explicit ReferenceServer(net::EpollSet epoll) : m_epoll(std::move(epoll)) {}

  static constexpr std::uint64_t kStopTag = ~std::uint64_t{0};
  net::EpollSet m_epoll;
  net::UniqueFd m_stopEvent;
  std::atomic<bool> m_stopRequested{false};
  std::unique_ptr<StreamServer> m_stream;
  std::unique_ptr<DatagramServer> m_datagram;
  net::Endpoint m_local;
  ServerCounters m_counters;
};

}  // namespace sockspec::server
