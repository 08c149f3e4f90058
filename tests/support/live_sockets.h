// The test process as a client of a live server, over the harness's socket layer: connect, send, read to
// the end, datagram round trips. Sockets are non-blocking and every wait is bounded by a Deadline; set-up
// failures FAIL the running test, while what the server does to the exchange (a reset, an early EOF, a
// short datagram) is returned for the test to judge.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "base/deadline.h"
#include "net/endpoint.h"
#include "net/endpoint_sockets.h"
#include "net/unique_fd.h"

namespace sockspec::testing {

net::Endpoint endpointOrFail(std::string_view url);

// A socket connected to `endpoint` (non-blocking). FAILs with the endpoint and errno otherwise.
net::UniqueFd connectOrFail(const net::Endpoint& endpoint, Deadline deadline);

// How a stream ended for the reader.
struct StreamEnd {
  std::string bytes;      // everything received
  bool eof = false;       // recv returned 0: an orderly close (FIN)
  int error = 0;          // the errno that ended it (ECONNRESET...), 0 if none
  bool timedOut = false;  // the deadline passed first
  std::uint64_t sent = 0;  // bytes the exchange handed to the kernel (exchange() only)
  // The errno that ended the sending (exchange() only). A reset can show here first: the call that meets it
  // consumes the socket's error (sock_error()), and a recv after it sees only EOF.
  int sendError = 0;

  bool resetByPeer() const;  // ECONNRESET, seen by recv or by send
  // "EOF after 1024 bytes", "ECONNRESET after 0 bytes", "timed out after 12 bytes".
  std::string describe() const;
};

// Sends all of `data`, waiting for writability as needed; FAILs on an error or at the deadline.
void sendAllOrFail(int fd, std::string_view data, Deadline deadline);

// Reads until EOF, an error, `maxBytes` received, or the deadline.
StreamEnd readToEnd(int fd, Deadline deadline, std::size_t maxBytes = std::numeric_limits<std::size_t>::max());

struct ExchangeOptions {
  bool halfClose = false;       // shutdown(SHUT_WR) once everything is sent, then read to EOF
  std::size_t readLimit = 65536;  // bytes offered to each recv
  // Stop reading once this many bytes came back (without halfClose: the data's size).
  std::optional<std::size_t> stopAfter;
};

// Sends `data` while reading whatever comes back, in one poll loop, so that a large echo cannot deadlock
// on full socket buffers. Ends when the expected bytes are back (halfClose: at EOF), at an error, at EOF,
// or at the deadline. A send error ends the sending; reading goes on to collect how the peer ended.
StreamEnd exchange(int fd, std::string_view data, Deadline deadline, const ExchangeOptions& options = {});

// One datagram (or seqpacket record) received within the deadline; nullopt at the deadline. `fullSize`
// gets the datagram's real length (MSG_TRUNC), which can exceed what was kept.
std::optional<std::string> receiveDatagram(int fd, Deadline deadline, std::size_t* fullSize = nullptr);

// Sends one datagram on a connected datagram or seqpacket socket; FAILs unless it went whole.
void sendDatagramOrFail(int fd, std::string_view data);

// `size` bytes of a pattern that makes a misplaced, lost or duplicated byte visible: every 4-byte group
// differs from its neighbours for the first 2^32 bytes.
// Written apart from the service suites' payloads (harness/suites/payloads.h) on purpose: the tests check the
// suites, so they do not share their generator.
std::string patternBytes(std::size_t size);

}  // namespace sockspec::testing
