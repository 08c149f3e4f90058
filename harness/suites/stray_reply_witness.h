// StrayReplyWitness: an unconnected udp socket on a connected client's own address and port (SO_REUSEADDR
// on both). The kernel hands a datagram to the socket that matches it best (compute_score(),
// net/ipv4/udp.c): the connected client keeps what comes from its peer, and the witness gets what comes
// from any other address or port, which the client alone would never see (its kernel drops it, udp(7)).
// So a check can tell "no reply" from "a reply from elsewhere" (a server answering through another socket).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "net/sock_addr.h"
#include "net/unique_fd.h"

namespace sockspec::suites {

struct StrayReply {
  net::SockAddr from;
  std::vector<std::uint8_t> data;  // the first bytes of it
  std::size_t fullSize = 0;        // its real length (MSG_TRUNC)
};

class StrayReplyWitness {
 public:
  // The witness of the connected udp socket `clientFd`; the error names the call that failed (the check
  // then goes on without one).
  static Expected<StrayReplyWitness, std::string> open(int clientFd);

  // The first datagram that has come to the witness, without waiting; nullopt when none has.
  std::optional<StrayReply> takeQueued();

 private:
  explicit StrayReplyWitness(net::UniqueFd fd) : m_fd(std::move(fd)) {}
  net::UniqueFd m_fd;
};

}  // namespace sockspec::suites
