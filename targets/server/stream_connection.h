// StreamConnection: one accepted connection's state. Kept small: idle connections are the common case
// (10,000 held at <= 16 KiB each), so anything large lives in the server or is allocated on demand.
#pragma once

#include <cstdint>
#include <memory>

#include "net/unique_fd.h"
#include "output_queue.h"
#include "proto/framed_session.h"

namespace sockspec::server {

struct StreamConnection {
  net::UniqueFd fd;
  OutputQueue owed;                              // replies the kernel has not taken yet
  std::unique_ptr<proto::FramedSession> framed;  // the framed service only
  std::uint64_t chargenPosition = 0;             // offset into the RFC 864 pattern
  std::uint32_t interest = 0;                    // the epoll events registered now
  bool peerFinished = false;  // recv returned 0: the client shut down writing or closed
  bool finishing = false;     // the service said its last word: shut down writing once `owed` is sent
  bool writeShut = false;     // shutdown(SHUT_WR) done; still reading until the client's EOF
  bool frozen = false;        // hang-on-bytes fault: neither read nor answered any more, never closed
  std::int16_t previousByte = -1;  // the last byte read, for the *-on-bytes faults (-1: none yet)
};

}  // namespace sockspec::server
