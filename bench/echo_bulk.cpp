// bulk: stream a counter pattern through the echo server and read it back concurrently, in MiB/s.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "base/errno_names.h"
#include "connection_opener.h"
#include "echo_modes.h"
#include "net/epoll_set.h"
#include "mode_report.h"
#include "net/socket_ops.h"
#include "stream_pattern.h"

namespace sockspec::bench {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view kMode = "bulk";
constexpr std::size_t kChunkBytes = std::size_t{256} * 1024;
// Sends or receives per readiness event before the loop serves the other connections: fairness, and a
// bound on each pass.
constexpr int kCallsPerEvent = 16;

struct EchoStream {
  net::UniqueFd fd;
  std::size_t index = 0;
  StreamPattern pattern{0};
  std::uint64_t base = 0;  // stream offset of this mode's first byte (after the probe)
  std::uint64_t total = 0;
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
  std::vector<std::uint8_t> chunk;  // pattern bytes [chunkStart, chunkStart + chunk.size()) of this mode
  std::uint64_t chunkStart = 0;
  bool writing = true;
};

struct StreamFailure {
  std::string message;
  std::string cause;
};

StreamFailure sysFailure(const EchoStream& s, const SysError& error) {
  return StreamFailure{fmt::format("connection {}: {}", s.index, error.describe()), errnoName(error.code)};
}

std::optional<StreamFailure> sendSome(net::EpollSet& epoll, EchoStream& s, std::size_t key) {
  for (int call = 0; call < kCallsPerEvent && s.sent < s.total; ++call) {
    if (s.sent == s.chunkStart + s.chunk.size()) {
      s.chunkStart = s.sent;
      s.chunk.resize(static_cast<std::size_t>(std::min<std::uint64_t>(kChunkBytes, s.total - s.sent)));
      s.pattern.fill(s.chunk, s.base + s.chunkStart);
    }
    auto pending = net::Bytes(s.chunk).subspan(static_cast<std::size_t>(s.sent - s.chunkStart));
    auto sent = net::sendBytes(s.fd.get(), pending);
    if (!sent) {
      if (sent.error().code == EAGAIN) break;
      return sysFailure(s, sent.error());
    }
    s.sent += *sent;
  }
  if (s.sent == s.total && s.writing) {
    s.writing = false;
    if (auto set = epoll.modify(s.fd.get(), EPOLLIN, key); !set) return sysFailure(s, set.error());
  }
  return std::nullopt;
}

std::optional<StreamFailure> receiveSome(EchoStream& s, std::vector<std::uint8_t>& scratch) {
  for (int call = 0; call < kCallsPerEvent && s.received < s.total; ++call) {
    auto got = net::recvBytes(s.fd.get(), scratch);
    if (!got) {
      if (got.error().code == EAGAIN) break;
      return sysFailure(s, got.error());
    }
    if (*got == 0) {
      return StreamFailure{
          fmt::format("connection {}: the server closed the connection after echoing {} of {} "
                      "bytes (EOF)",
                      s.index, s.received, s.total),
          "EOF"};
    }
    if (s.received + *got > s.sent) {
      return StreamFailure{fmt::format("connection {}: the server echoed {} bytes, more than the {} sent",
                                       s.index, s.received + *got, s.sent),
                           "EXTRA"};
    }
    net::Bytes echoed(scratch.data(), *got);
    if (auto bad = s.pattern.firstMismatch(echoed, s.base + s.received)) {
      std::uint64_t at = s.base + s.received + *bad;
      return StreamFailure{
          fmt::format("connection {}: echoed byte {} of the stream is 0x{:02x}, expected 0x{:02x}", s.index,
                      at, echoed[*bad], s.pattern.byteAt(at)),
          "MISMATCH"};
    }
    s.received += *got;
  }
  return std::nullopt;
}

}  // namespace

int runBulk(const BulkOptions& options) {
  if (options.connections == 0 || options.bytes < options.connections) {
    return reportFailure(kMode, kExitUsage, "USAGE",
                         "--connections must be at least 1 and --bytes at least that");
  }
  double deadlineSeconds = options.common.deadlineSeconds > 0 ? options.common.deadlineSeconds : 120;
  Deadline deadline =
      Deadline::after(std::chrono::milliseconds(static_cast<long long>(deadlineSeconds * 1000)));

  OpenOptions open{options.connections, options.common.inFlight, true, options.common.connectTimeout, false};
  OpenedConnections opened = openEchoConnections(options.common.endpoint, open, deadline);
  if (opened.failure) return reportOpenFailure(kMode, options.common.endpoint, options.connections, opened);

  auto epoll = net::EpollSet::create();
  if (!epoll) {
    return reportCallFailure(kMode, epoll.error());
  }
  std::vector<EchoStream> streams(opened.connections.size());
  std::uint64_t share = options.bytes / streams.size();
  for (std::size_t key = 0; key < streams.size(); ++key) {
    EchoStream& s = streams[key];
    s.fd = std::move(opened.connections[key].fd);
    s.index = opened.connections[key].index;
    s.pattern = StreamPattern::forConnection(s.index);
    s.base = opened.streamOffset;
    s.total = share + (key == 0 ? options.bytes % streams.size() : 0);
    if (auto added = epoll->add(s.fd.get(), EPOLLIN | EPOLLOUT, key); !added) {
      return reportCallFailure(kMode, added.error());
    }
  }

  std::vector<std::uint8_t> scratch(kChunkBytes);
  std::size_t unfinished = streams.size();
  auto started = Clock::now();
  // Bounded by the deadline: every pass waits on it or moves bytes.
  while (unfinished > 0) {
    if (deadline.expired()) {
      std::uint64_t echoed = 0;
      for (const EchoStream& s : streams) echoed += s.received;
      return reportFailure(kMode, kExitCheckFailed, "DEADLINE",
                           fmt::format("the deadline ({:.0f} s) passed with {} of {} bytes echoed",
                                       deadlineSeconds, echoed, options.bytes));
    }
    auto events = epoll->wait(deadline);
    if (!events) {
      return reportCallFailure(kMode, events.error());
    }
    for (const epoll_event& event : *events) {
      auto key = static_cast<std::size_t>(event.data.u64);
      EchoStream& s = streams[key];
      if ((event.events & EPOLLOUT) != 0 && s.writing) {
        if (auto failed = sendSome(*epoll, s, key)) {
          return reportFailure(kMode, kExitCheckFailed, failed->cause, failed->message);
        }
      }
      if ((event.events & (EPOLLIN | EPOLLERR | EPOLLHUP)) == 0 || s.received == s.total) continue;
      if (auto failed = receiveSome(s, scratch)) {
        return reportFailure(kMode, kExitCheckFailed, failed->cause, failed->message);
      }
      if (s.received == s.total) {
        --unfinished;
        if (auto removed = epoll->remove(s.fd.get()); !removed) {
          return reportCallFailure(kMode, removed.error());
        }
      }
    }
  }
  double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  double mib = static_cast<double>(options.bytes) / (1024.0 * 1024.0);
  double rate = mib / seconds;
  fmt::print("bulk: {} connection(s), {:.1f} MiB echoed and verified in {:.3f} s: {:.1f} MiB/s\n",
             streams.size(), mib, seconds, rate);
  fmt::print("result mode=bulk status=ok connections={} bytes={} seconds={:.3f} mib_per_s={:.1f}\n",
             streams.size(), options.bytes, seconds, rate);
  return kExitOk;
}

}  // namespace sockspec::bench
