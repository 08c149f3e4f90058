// StreamServer: the reference server's connection-oriented side (TCP, unix stream, unix seqpacket). One
// listener and its accepted connections on a level-triggered epoll set, all on one thread, non-blocking:
// partial reads and writes, flow control when a client does not read, EOF and half-close, resets, EMFILE.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "net/endpoint_sockets.h"
#include "net/epoll_set.h"
#include "server_config.h"
#include "stream_connection.h"

namespace sockspec::server {

class StreamServer {
 public:
  // Takes the bound, listening socket; registers it with `epoll` under kListenerTag.
  static Result<std::unique_ptr<StreamServer>> create(net::BoundSocket listener, const ServerConfig& config,
                                                      net::EpollSet& epoll, ServerCounters& counters);

  // Epoll tags: a connection's tag is its fd; the listener has its own.
  static constexpr std::uint64_t kListenerTag = ~std::uint64_t{0} - 1;
  void onEvent(std::uint64_t tag, std::uint32_t events);

  // The orderly stop (SIGTERM): accepted connections are closed first, then the listener.
  void closeAll();
  std::size_t openConnections() const { return m_open; }

 private:
  StreamServer(net::BoundSocket listener, const ServerConfig& config, net::EpollSet& epoll,
               ServerCounters& counters);

  void acceptReady();
  void startConnection(net::UniqueFd fd);
  void connectionReady(StreamConnection& connection, std::uint32_t events);
  // Each returns false once it closed the connection (the reference is then dangling).
  bool readReady(StreamConnection& connection);
  // Serves bytes just read, unless they hold the trigger of a *-on-bytes fault (byte_trigger.h). False once
  // the connection is closed or frozen.
  bool serveOrTrip(StreamConnection& connection, std::string_view bytes);
  bool consume(StreamConnection& connection, std::string_view bytes);
  bool sendOrQueue(StreamConnection& connection, std::string_view bytes);
  // Adds to what the connection owes: in chunks on a stream, as one record on SOCK_SEQPACKET.
  void queue(StreamConnection& connection, std::string_view bytes);
  // One non-blocking send(2) of `bytes` (not empty), counted in bytesOut. The bytes it took: maybe fewer
  // than asked, 0 when the socket buffer is full (EAGAIN). Any other error closes the connection (counting
  // a reset when the peer is gone) and gives nothing.
  [[nodiscard]] std::optional<std::size_t> sendWithoutBlocking(StreamConnection& connection,
                                                               std::string_view bytes);
  bool flush(StreamConnection& connection);
  bool generateChargen(StreamConnection& connection);
  bool settle(StreamConnection& connection);
  void updateInterest(StreamConnection& connection);
  void closeConnection(StreamConnection& connection);
  void closeListener();
  void pauseListener(bool paused);

  net::BoundSocket m_listener;
  ServerConfig m_config;
  net::EpollSet& m_epoll;
  ServerCounters& m_counters;
  bool m_seqpacket = false;
  bool m_listenerPaused = false;
  // Indexed by fd: fds are small and dense, and a lookup is one load.
  std::vector<std::unique_ptr<StreamConnection>> m_connections;
  std::size_t m_open = 0;
  // One read buffer for all connections: bytes are answered (or queued) before the next read.
  std::vector<char> m_readBuffer;
  // Framed replies to one read, kept between reads: cleared, not freed, so a connection streaming requests
  // does not allocate (and fault in) a reply buffer per read.
  std::vector<std::uint8_t> m_framedReplies;
  // A descriptor held in reserve so that EMFILE can be answered by accepting and shedding the connection,
  // instead of leaving it queued and the listener spinning (the libev/muduo "idle fd" technique).
  net::UniqueFd m_spareFd;
};

}  // namespace sockspec::server
