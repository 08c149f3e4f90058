// DatagramClient: a connected client socket for the message checks (udp, unix-dgram, and unix-seqpacket,
// whose records keep their boundaries too). connect(2) fixes the peer, so replies from anyone else are
// dropped by the kernel and a udp port with nothing behind it shows as ECONNREFUSED (udp(7)).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/deadline.h"
#include "base/expected.h"
#include "net/endpoint.h"
#include "net/socket_ops.h"
#include "net/unique_fd.h"

namespace sockspec::suites {

struct DatagramReply {
  enum class Kind { Received, TimedOut, Failed };
  Kind kind = Kind::Received;
  std::vector<std::uint8_t> data;  // what was received (the first kMaxDatagram bytes)
  std::size_t fullSize = 0;        // the datagram's real length (MSG_TRUNC): more than data.size() if cut
  std::string error;               // Failed: "recv: ECONNREFUSED (Connection refused)"
};

class DatagramClient {
 public:
  // Bigger than any datagram the checks send, so that the checks see a reply that is too long.
  static constexpr std::size_t kMaxDatagram = 256 * 1024;

  // A socket connected to `target` (a unix datagram client is autobound so that replies can reach it).
  static Expected<DatagramClient, std::string> connect(const net::Endpoint& target, Deadline deadline);

  int fd() const { return m_fd.get(); }
  // Sends one datagram (or record), waiting for buffer space within the deadline.
  Expected<void, std::string> send(net::Bytes data, Deadline deadline);
  // Receives the next datagram, or says the deadline passed first.
  DatagramReply receive(Deadline deadline);

 private:
  DatagramClient(net::UniqueFd fd, bool connected) : m_fd(std::move(fd)), m_connected(connected) {}
  net::UniqueFd m_fd;
  bool m_connected = false;  // unix-seqpacket: a 0-byte read is the end of the connection
};

// "no reply within 5000 ms" / "recv: ECONNREFUSED (...)": why no datagram came, for failure messages.
std::string describeMissingReply(const DatagramReply& reply, std::chrono::milliseconds timeout);

// One request and its reply on a fresh connected client, by `deadline`. The error says what went wrong: the
// socket, the send, or the reply that did not come ("sent a 5-byte datagram: no reply within 5000 ms").
Expected<DatagramReply, std::string> exchangeOneDatagram(const net::Endpoint& target, net::Bytes request,
                                                         Deadline deadline, std::chrono::milliseconds timeout);

}  // namespace sockspec::suites
