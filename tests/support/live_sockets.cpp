#include "support/live_sockets.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "base/errno_names.h"
#include "net/readiness.h"
#include "net/socket_ops.h"

namespace sockspec::testing {

net::Endpoint endpointOrFail(std::string_view url) {
  auto parsed = net::parseEndpoint(url);
  if (!parsed) FAIL(net::formatEndpointError(url, parsed.error()));
  return *parsed;
}

net::UniqueFd connectOrFail(const net::Endpoint& endpoint, Deadline deadline) {
  auto connected = net::connectEndpoint(endpoint, deadline);
  if (!connected) FAIL("connect: " << connected.error().describe());
  return std::move(*connected);
}

bool StreamEnd::resetByPeer() const { return error == ECONNRESET || sendError == ECONNRESET; }

std::string StreamEnd::describe() const {
  std::string how = eof ? "EOF" : error != 0 ? errnoName(error) : timedOut ? "timed out" : "stopped";
  return fmt::format("{} after {} bytes received ({} sent{}{})", how, bytes.size(), sent,
                     sendError != 0 ? ", sending ended by " : "", sendError != 0 ? errnoName(sendError) : "");
}

void sendAllOrFail(int fd, std::string_view data, Deadline deadline) {
  std::size_t done = 0;
  while (done < data.size()) {
    auto sent = net::sendBytes(fd, net::asBytes(data.substr(done)));
    if (sent) {
      done += *sent;
      continue;
    }
    if (sent.error().code != EAGAIN) FAIL("send after " << done << " bytes: " << sent.error().describe());
    auto ready = net::waitWritable(fd, deadline);
    REQUIRE(ready);
    if (*ready == net::Readiness::TimedOut) FAIL("send: timed out after " << done << " of " << data.size() << " bytes");
  }
}

namespace {

// One recv into `into`; false when the stream ended (EOF or an error, recorded in `end`).
bool receiveSome(int fd, std::size_t limit, StreamEnd& end) {
  std::string buffer(limit, '\0');
  auto* data = reinterpret_cast<std::uint8_t*>(buffer.data());
  auto received = net::recvBytes(fd, net::MutableBytes(data, buffer.size()));
  if (!received) {
    if (received.error().code == EAGAIN || received.error().code == EINTR) return true;
    end.error = received.error().code;
    return false;
  }
  if (*received == 0) {
    end.eof = true;
    return false;
  }
  end.bytes.append(buffer.data(), *received);
  return true;
}

}  // namespace

StreamEnd readToEnd(int fd, Deadline deadline, std::size_t maxBytes) {
  StreamEnd end;
  while (end.bytes.size() < maxBytes) {
    auto ready = net::waitReadable(fd, deadline);
    REQUIRE(ready);
    if (*ready == net::Readiness::TimedOut) {
      end.timedOut = true;
      break;
    }
    if (!receiveSome(fd, std::min<std::size_t>(65536, maxBytes - end.bytes.size()), end)) break;
  }
  return end;
}

StreamEnd exchange(int fd, std::string_view data, Deadline deadline, const ExchangeOptions& options) {
  StreamEnd end;
  std::size_t stopAfter = options.stopAfter.value_or(options.halfClose ? std::numeric_limits<std::size_t>::max()
                                                                       : data.size());
  std::size_t offset = 0;
  bool sending = true;
  bool shut = false;
  for (;;) {
    if (!sending && options.halfClose && !shut) {
      shut = true;
      if (auto done = net::shutdownSocket(fd, SHUT_WR); !done) {
        end.error = done.error().code;
        break;
      }
    }
    if (end.bytes.size() >= stopAfter) break;
    pollfd entry{fd, static_cast<short>(POLLIN | (sending ? POLLOUT : 0)), 0};
    int ready = ::poll(&entry, 1, deadline.pollTimeoutMs());
    if (ready < 0 && errno == EINTR) continue;
    REQUIRE(ready >= 0);
    if (ready == 0) {
      end.timedOut = true;
      break;
    }
    if (sending && (entry.revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
      auto sent = net::sendBytes(fd, net::asBytes(data.substr(offset, 1 << 20)));
      if (sent) {
        offset += *sent;
        end.sent = offset;
      } else if (sent.error().code != EAGAIN) {
        end.sendError = sent.error().code;
        sending = false;  // EPIPE/ECONNRESET: how the peer ended shows on the reading side
        shut = true;      // nothing to half-close any more
      }
      if (offset == data.size()) sending = false;
    }
    if ((entry.revents & (POLLIN | POLLERR | POLLHUP)) != 0) {
      if (!receiveSome(fd, options.readLimit, end)) break;
    }
  }
  return end;
}

std::optional<std::string> receiveDatagram(int fd, Deadline deadline, std::size_t* fullSize) {
  for (;;) {
    auto ready = net::waitReadable(fd, deadline);
    REQUIRE(ready);
    if (*ready == net::Readiness::TimedOut) return std::nullopt;
    std::string buffer(70000, '\0');
    auto* data = reinterpret_cast<std::uint8_t*>(buffer.data());
    // MSG_TRUNC as an input flag returns the datagram's real length (recv(2); unix since Linux 3.4).
    auto received = net::recvBytes(fd, net::MutableBytes(data, buffer.size()), MSG_TRUNC);
    if (!received) {
      if (received.error().code == EAGAIN) continue;
      FAIL("recv: " << received.error().describe());
    }
    if (fullSize != nullptr) *fullSize = *received;
    buffer.resize(std::min(*received, buffer.size()));
    return buffer;
  }
}

void sendDatagramOrFail(int fd, std::string_view data) {
  auto sent = net::sendBytes(fd, net::asBytes(data));
  if (!sent) FAIL("send of a " << data.size() << "-byte datagram: " << sent.error().describe());
  REQUIRE(*sent == data.size());
}

std::string patternBytes(std::size_t size) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    // The byte's offset mixed with its 4-byte group number: shifts and repeats change the bytes.
    auto group = static_cast<std::uint32_t>(i / 4);
    bytes[i] = static_cast<char>((group * 2654435761u) >> (8 * (i % 4)));
  }
  return bytes;
}

}  // namespace sockspec::testing
