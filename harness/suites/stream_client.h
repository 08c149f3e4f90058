// StreamClient: one connected client socket (tcp, unix or unix-seqpacket) for a check, non-blocking, with
// every wait bounded by a Deadline. Reads report how they ended so that failure messages can say
// "expected 1048576 bytes back, got 65536 before EOF".
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/deadline.h"
#include "base/expected.h"
#include "base/sys_error.h"
#include "net/endpoint.h"
#include "net/socket_ops.h"
#include "net/unique_fd.h"

namespace sockspec::suites {

// How a read (or a whole exchange) ended.
struct StreamEnd {
  enum class Kind {
    Complete,  // everything asked for arrived
    Eof,       // the peer closed (recv returned 0)
    Reset,     // ECONNRESET: the peer's close was abortive (RST, or an AF_UNIX close with data unread)
    Failed,    // another error (in `error`)
    TimedOut,  // the deadline passed first
  };
  Kind kind = Kind::Complete;
  SysError error{};

  static StreamEnd complete() { return {}; }
  // From a failed recv/send: ECONNRESET is Reset, anything else Failed.
  static StreamEnd fromError(const SysError& error);
  static StreamEnd timedOut() { return {Kind::TimedOut, {}}; }
  static StreamEnd eof() { return {Kind::Eof, {}}; }
};

// "before EOF", "then recv: ECONNRESET (Connection reset by peer)", "within 5000 ms".
std::string describeEnd(const StreamEnd& end, std::chrono::milliseconds timeout);

// "expected 1048576 bytes back, got 65536 before EOF"; "no reply within 5000 ms" when nothing came and the
// deadline passed.
std::string describeShortfall(std::string_view what, std::size_t expected, std::size_t got, const StreamEnd& end,
                              std::chrono::milliseconds timeout);

struct ConnectOptions {
  int receiveBuffer = 0;  // SO_RCVBUF set before connect (0: the kernel's default)
  bool noDelay = false;   // TCP_NODELAY (tcp only): each send leaves at once, one segment per send
  int maxSegment = 0;     // TCP_MAXSEG (tcp only) offered in the SYN: the peer's segments are no larger
  // tcp only: hold back the handshake's final ACK so that it rides on the first data segment, and the server's
  // connection exists only with that data already queued on it (before accept() can return it). Linux
  // delays that ACK when the connecting socket has TCP_DEFER_ACCEPT set (tcp_rcv_synsent_state_process():
  // "Save one ACK"), for up to the delayed-ACK timer (TCP_DELACK_MAX, 200 ms); tcpSegmentsSent() tells
  // whether the data made it in time.
  bool ackWithFirstData = false;
};

class StreamClient {
 public:
  // Connects within the deadline. Fails with "connect to tcp://127.0.0.1:7: ECONNREFUSED (...)".
  static Expected<StreamClient, std::string> connect(const net::Endpoint& target, Deadline deadline,
                                                     const ConnectOptions& options = {});

  int fd() const { return m_fd.get(); }
  bool keepsRecords() const { return m_records; }  // unix-seqpacket: one send is one record

  // Sends all of `data` (on seqpacket as one record) within the deadline, reading nothing.
  // Fails with the send error, or "send blocked for 5000 ms" when the peer stopped reading.
  Expected<void, std::string> sendAll(net::Bytes data, Deadline deadline, std::chrono::milliseconds timeout);

  // Appends what arrives to `into` until it holds `size` bytes, the peer closes, an error, or the deadline.
  StreamEnd readUntilSize(std::vector<std::uint8_t>& into, std::size_t size, Deadline deadline);
  // Appends whatever arrives first (at least one byte: Complete), or says how the stream ended.
  StreamEnd readSome(std::vector<std::uint8_t>& into, Deadline deadline);
  // Appends until EOF (Kind::Eof is the good ending here), an error, the deadline, or more than `limit`
  // bytes (then Complete: the peer sent too much and did not close).
  StreamEnd readToEof(std::vector<std::uint8_t>& into, std::size_t limit, Deadline deadline);

  // shutdown(SHUT_WR): the peer reads EOF after our data.
  Result<void> shutdownWrite();
  // An abortive close: SO_LINGER {1, 0} then close(2), so a tcp peer gets RST (socket(7)); an AF_UNIX peer
  // gets ECONNRESET when it had unread data for us, which the caller arranges.
  void abort();
  void close() { m_fd.reset(); }

 private:
  StreamClient(net::UniqueFd fd, bool records) : m_fd(std::move(fd)), m_records(records) {}
  net::UniqueFd m_fd;
  bool m_records = false;
};

}  // namespace sockspec::suites
