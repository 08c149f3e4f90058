#include "suites/stream_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "net/readiness.h"
#include "net/sock_addr.h"

namespace sockspec::suites {

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

bool wouldBlock(const SysError& error) { return error.code == EAGAIN || error.code == EWOULDBLOCK; }

// Receives once into the tail of `into`; nullopt when it got bytes, else how the stream ended.
std::optional<StreamEnd> receiveOnce(int fd, std::vector<std::uint8_t>& into, std::size_t maxBytes) {
  std::size_t before = into.size();
  into.resize(before + maxBytes);
  auto received = net::recvBytes(fd, net::MutableBytes(into.data() + before, maxBytes));
  into.resize(before + (received ? *received : 0));
  if (!received) {
    if (wouldBlock(received.error())) return std::nullopt;
    return StreamEnd::fromError(received.error());
  }
  if (*received == 0) return StreamEnd::eof();
  return std::nullopt;
}

}  // namespace

StreamEnd StreamEnd::fromError(const SysError& error) {
  return {error.code == ECONNRESET ? Kind::Reset : Kind::Failed, error};
}

std::string describeEnd(const StreamEnd& end, std::chrono::milliseconds timeout) {
  switch (end.kind) {
    case StreamEnd::Kind::Complete: return "in full";
    case StreamEnd::Kind::Eof: return "before EOF";
    case StreamEnd::Kind::Reset: return fmt::format("before the connection was reset ({})", end.error.describe());
    case StreamEnd::Kind::Failed: return fmt::format("then {}", end.error.describe());
    case StreamEnd::Kind::TimedOut: return fmt::format("within {} ms", timeout.count());
  }
  return "?";
}

std::string describeShortfall(std::string_view what, std::size_t expected, std::size_t got, const StreamEnd& end,
                              std::chrono::milliseconds timeout) {
  if (got == 0 && end.kind == StreamEnd::Kind::TimedOut) return fmt::format("no reply within {} ms", timeout.count());
  return fmt::format("expected {} {}, got {} {}", expected, what, got, describeEnd(end, timeout));
}

Expected<StreamClient, std::string> StreamClient::connect(const net::Endpoint& target, Deadline deadline,
                                                          const ConnectOptions& options) {
  auto fail = [&](const SysError& error) {
    return Unexpected{fmt::format("connect to {}: {}", target.toString(), error.describe())};
  };
  auto address = net::toSockAddr(target);
  if (!address) return Unexpected{fmt::format("connect to {}: {}", target.toString(), address.error())};
  auto fd = net::openSocket(net::familyOf(target), net::socketTypeOf(target.transport), 0, net::Blocking::No);
  if (!fd) return fail(fd.error());
  // These must be set before connect: the receive buffer decides the window scale offered in the SYN (tcp(7)).
  if (options.receiveBuffer > 0) {
    if (auto set = net::setIntOption(fd->get(), SOL_SOCKET, SO_RCVBUF, options.receiveBuffer); !set) {
      return fail(set.error());
    }
  }
  if (options.noDelay && target.transport == net::Transport::Tcp) {
    if (auto set = net::setIntOption(fd->get(), IPPROTO_TCP, TCP_NODELAY, 1); !set) return fail(set.error());
  }
  if (options.maxSegment > 0 && target.transport == net::Transport::Tcp) {
    if (auto set = net::setIntOption(fd->get(), IPPROTO_TCP, TCP_MAXSEG, options.maxSegment); !set) {
      return fail(set.error());
    }
  }
  if (options.ackWithFirstData && target.transport == net::Transport::Tcp) {
    if (auto set = net::setIntOption(fd->get(), IPPROTO_TCP, TCP_DEFER_ACCEPT, 1); !set) return fail(set.error());
  }
  bool records = target.transport == net::Transport::UnixSeqpacket;
  // A non-blocking AF_UNIX connect to a full backlog fails with EAGAIN (unix_stream_connect()); that is the
  // server being slow to accept, so it is retried until the deadline.
  auto pause = std::chrono::microseconds(500);
  for (;;) {
    auto connected = net::connectSocket(fd->get(), *address);
    if (connected) return StreamClient(std::move(*fd), records);
    int code = connected.error().code;
    if (code == EINPROGRESS) break;
    if (code != EAGAIN) return fail(connected.error());
    if (deadline.expired()) {
      return Unexpected{fmt::format("connect to {}: still refused with EAGAIN at the deadline (the server's accept "
                                    "queue stays full: it does not accept)", target.toString())};
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(20000));
  }
  auto ready = net::waitWritable(fd->get(), deadline);
  if (!ready) return fail(ready.error());
  if (*ready == net::Readiness::TimedOut) {
    // On Linux a full accept queue drops the SYN (listen(2)): the connect just never completes.
    return Unexpected{fmt::format("connect to {}: not connected by the deadline (the server does not accept)",
                                  target.toString())};
  }
  auto outcome = net::pendingError(fd->get());
  if (!outcome) return fail(outcome.error());
  if (*outcome != 0) return fail(SysError{*outcome, "connect"});
  return StreamClient(std::move(*fd), records);
}

Expected<void, std::string> StreamClient::sendAll(net::Bytes data, Deadline deadline,
                                                  std::chrono::milliseconds timeout) {
  std::size_t sent = 0;
  // A seqpacket record goes whole or not at all; a zero-length send still has to happen once.
  while (sent < data.size() || (data.empty() && sent == 0 && m_records)) {
    auto done = net::sendBytes(m_fd.get(), data.subspan(sent));
    if (done) {
      sent += *done;
      if (data.empty()) break;
      continue;
    }
    if (!wouldBlock(done.error())) {
      return Unexpected{fmt::format("{} after {} of {} bytes", done.error().describe(), sent, data.size())};
    }
    auto ready = net::waitWritable(m_fd.get(), deadline);
    if (!ready) return Unexpected{ready.error().describe()};
    if (*ready == net::Readiness::TimedOut) {
      return Unexpected{fmt::format("send blocked for {} ms after {} of {} bytes (the server stopped reading)",
                                    timeout.count(), sent, data.size())};
    }
  }
  return {};
}

StreamEnd StreamClient::readUntilSize(std::vector<std::uint8_t>& into, std::size_t size, Deadline deadline) {
  while (into.size() < size) {
    // On seqpacket a record larger than the buffer would be cut: always offer a whole chunk.
    std::size_t want = m_records ? kReadChunk : std::min(kReadChunk, size - into.size());
    if (auto ended = receiveOnce(m_fd.get(), into, want)) return *ended;
    if (into.size() >= size) break;
    auto ready = net::waitReadable(m_fd.get(), deadline);
    if (!ready) return StreamEnd::fromError(ready.error());
    if (*ready == net::Readiness::TimedOut) return StreamEnd::timedOut();
  }
  return StreamEnd::complete();
}

StreamEnd StreamClient::readSome(std::vector<std::uint8_t>& into, Deadline deadline) {
  for (std::size_t before = into.size();;) {
    if (auto ended = receiveOnce(m_fd.get(), into, kReadChunk)) return *ended;
    if (into.size() > before) return StreamEnd::complete();
    auto ready = net::waitReadable(m_fd.get(), deadline);
    if (!ready) return StreamEnd::fromError(ready.error());
    if (*ready == net::Readiness::TimedOut) return StreamEnd::timedOut();
  }
}

StreamEnd StreamClient::readToEof(std::vector<std::uint8_t>& into, std::size_t limit, Deadline deadline) {
  while (into.size() <= limit) {
    if (auto ended = receiveOnce(m_fd.get(), into, kReadChunk)) return *ended;
    auto ready = net::waitReadable(m_fd.get(), deadline);
    if (!ready) return StreamEnd::fromError(ready.error());
    if (*ready == net::Readiness::TimedOut) return StreamEnd::timedOut();
  }
  return StreamEnd::complete();
}

Result<void> StreamClient::shutdownWrite() { return net::shutdownSocket(m_fd.get(), SHUT_WR); }

void StreamClient::abort() {
  if (!m_fd) return;
  (void)net::setAbortiveClose(m_fd.get());  // AF_UNIX ignores SO_LINGER; the close below still happens
  m_fd.reset();
}

}  // namespace sockspec::suites
