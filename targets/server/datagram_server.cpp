#include "datagram_server.h"

#include <sys/socket.h>

#include <cerrno>
#include <ctime>

#include "chargen_pattern.h"
#include "daytime_text.h"

namespace sockspec::server {

namespace {
// The largest UDP payload over IPv4 is 65,507 bytes (65,535 - 8 UDP - 20 IP); one more byte of buffer lets
// MSG_TRUNC tell "exactly fits" from "was cut".
constexpr std::size_t kDatagramBufferSize = 65536;
constexpr std::size_t kFaultyReadSize = 1024;
constexpr int kDatagramsPerWakeup = 64;
// RFC 864: the UDP chargen answer has "a random number (between 0 and 512) of characters"; always 512 here,
// so that clients can check the length.
constexpr std::size_t kChargenDatagramSize = 512;
}  // namespace

Result<std::unique_ptr<DatagramServer>> DatagramServer::create(net::BoundSocket socket, const ServerConfig& config,
                                                               net::EpollSet& epoll, ServerCounters& counters) {
  std::unique_ptr<DatagramServer> server(new DatagramServer(std::move(socket), config, counters));
  if (auto added = epoll.add(server->m_socket.fd.get(), EPOLLIN, kSocketTag); !added) {
    return Unexpected{added.error()};
  }
  return server;
}

DatagramServer::DatagramServer(net::BoundSocket socket, const ServerConfig& config, ServerCounters& counters)
    : m_socket(std::move(socket)), m_config(config), m_counters(counters), m_buffer(kDatagramBufferSize) {}

void DatagramServer::onEvent(std::uint64_t tag, std::uint32_t /*events*/) {
  if (tag != kSocketTag || !m_socket.fd) return;
  std::size_t readSize = m_config.fault == Fault::TruncateDgram ? kFaultyReadSize : m_buffer.size();
  for (int i = 0; i < kDatagramsPerWakeup; ++i) {
    net::SockAddr from;
    iovec vector{m_buffer.data(), readSize};
    msghdr message{};
    message.msg_name = from.getMutable();
    message.msg_namelen = net::SockAddr::capacity();
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    auto received = net::recvMessage(m_socket.fd.get(), message, 0);
    if (!received) return;  // EAGAIN: drained; anything else is about one datagram, not the socket
    from.setLength(message.msg_namelen);
    ++m_counters.datagramsIn;
    m_counters.bytesIn += received->size;
    // With the truncate-dgram fault the excess is gone (MSG_TRUNC set): recv(2) on datagram sockets.
    answer(std::string_view(m_buffer.data(), received->size), from);
  }
}

void DatagramServer::answer(std::string_view request, const net::SockAddr& from) {
  std::string reply;
  std::string_view payload;
  switch (m_config.service) {
    case Service::Echo:
      payload = request;
      break;
    case Service::Chargen:
      payload = chargenBytes(m_chargenPosition, kChargenDatagramSize);
      m_chargenPosition += kChargenLineLength;  // each datagram starts one line further on
      break;
    case Service::Daytime:
      reply = daytimeText(std::time(nullptr));
      payload = reply;
      break;
    case Service::Discard:
    case Service::Framed:  // refused at start: framed needs a connection
      return;
  }
  // An unbound unix datagram sender has no address to answer (unix(7)): nothing can be sent back.
  if (from.family() == AF_UNSPEC ||
      (from.family() == AF_UNIX && from.length() <= sizeof(sa_family_t))) {
    ++m_counters.repliesDropped;
    return;
  }
  auto sent = net::sendTo(m_socket.fd.get(), net::asBytes(payload), from);
  if (!sent) {
    ++m_counters.repliesDropped;  // EAGAIN (buffer full), ECONNREFUSED (the unix peer is gone), ...
    return;
  }
  ++m_counters.datagramsOut;
  m_counters.bytesOut += *sent;
}

void DatagramServer::closeAll() {
  if (!m_socket.fd) return;
  (void)net::closeSocket(m_socket.fd);
  m_socket = net::BoundSocket{};
}

}  // namespace sockspec::server
