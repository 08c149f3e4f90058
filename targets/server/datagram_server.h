// DatagramServer: the reference server's connectionless side (UDP, unix datagram). Each datagram is
// answered on its own; a reply the kernel will not take is dropped and counted, as UDP allows.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "net/endpoint_sockets.h"
#include "net/epoll_set.h"
#include "server_config.h"

namespace sockspec::server {

class DatagramServer {
 public:
  static Result<std::unique_ptr<DatagramServer>> create(net::BoundSocket socket, const ServerConfig& config,
                                                        net::EpollSet& epoll, ServerCounters& counters);
  static constexpr std::uint64_t kSocketTag = ~std::uint64_t{0} - 1;
  void onEvent(std::uint64_t tag, std::uint32_t events);
  void closeAll();

 private:
  DatagramServer(net::BoundSocket socket, const ServerConfig& config, ServerCounters& counters);
  void answer(std::string_view request, const net::SockAddr& from);

  net::BoundSocket m_socket;
  ServerConfig m_config;
  ServerCounters& m_counters;
  std::vector<char> m_buffer;
  std::uint64_t m_chargenPosition = 0;
};

}  // namespace sockspec::server
