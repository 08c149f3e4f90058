#include "reference_server.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>

#include <fmt/format.h>

namespace sockspec::server {

Expected<std::unique_ptr<ReferenceServer>, std::string> ReferenceServer::start(const ServerConfig& config) {
  bool connectionless = !net::isConnectionOriented(config.listen.transport);
  if (connectionless && config.service == Service::Framed) {
    return Unexpected{fmt::format("{}: the framed service needs a connection (tcp, unix or unix-seqpacket)",
                                  config.listen.toString())};
  }
  if (config.backlog < 0) {
    return Unexpected{fmt::format("--backlog {}: must be 0 or more", config.backlog)};
  }
  auto epoll = net::EpollSet::create();
  if (!epoll) return Unexpected{epoll.error().describe()};
  std::unique_ptr<ReferenceServer> server(new ReferenceServer(std::move(*epoll)));

  server->m_stopEvent.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!server->m_stopEvent) return Unexpected{SysError{errno, "eventfd"}.describe()};
  if (auto added = server->m_epoll.add(server->m_stopEvent.get(), EPOLLIN, kStopTag); !added) {
    return Unexpected{added.error().describe()};
  }

  net::BindOptions options;
  options.backlog = config.backlog;
  auto bound = net::bindEndpoint(config.listen, options);
  if (!bound) return Unexpected{bound.error().describe()};
  server->m_local = bound->local;

  if (connectionless) {
    auto created = DatagramServer::create(std::move(*bound), config, server->m_epoll, server->m_counters);
    if (!created) return Unexpected{created.error().describe()};
    server->m_datagram = std::move(*created);
  } else {
    auto created = StreamServer::create(std::move(*bound), config, server->m_epoll, server->m_counters);
    if (!created) return Unexpected{created.error().describe()};
    server->m_stream = std::move(*created);
  }
  return server;
}

Result<void> ReferenceServer::runOnce(std::chrono::milliseconds timeout) {
  std::array<epoll_event, 256> events{};
  auto ready = m_epoll.wait(events, static_cast<int>(timeout.count()));
  if (!ready) return Unexpected{ready.error()};
  for (std::size_t i = 0; i < *ready; ++i) {
    std::uint64_t tag = events[i].data.u64;
    if (tag == kStopTag) {
      std::uint64_t count = 0;
      (void)!::read(m_stopEvent.get(), &count, sizeof(count));
      continue;
    }
    if (m_stream) m_stream->onEvent(tag, events[i].events);
    if (m_datagram) m_datagram->onEvent(tag, events[i].events);
  }
  return {};
}

Result<void> ReferenceServer::run() {
  // Each pass waits at most a second, so a lost wake-up can delay the stop by a second, never forever.
  while (!m_stopRequested.load(std::memory_order_acquire)) {
    if (auto served = runOnce(std::chrono::seconds(1)); !served) return served;
  }
  return {};
}

void ReferenceServer::requestStop() noexcept {
  m_stopRequested.store(true, std::memory_order_release);
  std::uint64_t one = 1;
  (void)!::write(m_stopEvent.get(), &one, sizeof(one));  // async-signal-safe (signal-safety(7))
}

void ReferenceServer::closeAll() {
  if (m_stream) m_stream->closeAll();
  if (m_datagram) m_datagram->closeAll();
}

}  // namespace sockspec::server
