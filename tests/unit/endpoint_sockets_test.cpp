// bindEndpoint and connectEndpoint against the real kernel: ports and autobind names resolved, unix paths
// owned, failures that name the endpoint and the errno, and connects bounded by their deadline.
#include "net/endpoint_sockets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "base/errno_names.h"
#include "support/built_programs.h"
#include "unit/loopback_fixtures.h"

namespace sockspec {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::endpointOf;
using testing::errnoOf;

bool pathExists(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

bool isSocketFile(const std::string& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0 && S_ISSOCK(info.st_mode);
}

// "which call, which errno" of a failed endpoint step, or "no error".
template <typename R>
std::string failureOf(const R& result) {
  if (result) return "no error";
  return std::string(result.error().error.call) + " " + errnoName(result.error().error.code);
}

net::BoundSocket bindOrFail(const net::Endpoint& endpoint, const net::BindOptions& options = {}) {
  auto bound = net::bindEndpoint(endpoint, options);
  if (!bound) FAIL(bound.error().describe());
  return std::move(*bound);
}

net::UniqueFd connectOrFail(const net::Endpoint& endpoint) {
  auto connected = net::connectEndpoint(endpoint, Deadline::after(2s));
  if (!connected) FAIL(connected.error().describe());
  return std::move(*connected);
}

// An abstract unix name no other test process uses (the abstract namespace is shared per network namespace).
std::string uniqueAbstractName() {
  static std::mt19937_64 random{std::random_device{}()};
  return "sockspec-unit-" + std::to_string(::getpid()) + "-" + std::to_string(random());
}

TEST_CASE("bindEndpoint on port 0 reports the port the kernel chose", "[endpoint_sockets][bind]") {
  auto url = GENERATE(as<std::string>{}, "tcp://127.0.0.1:0", "udp://127.0.0.1:0", "tcp://[::1]:0",
                      "udp://[::1]:0", "tcp://localhost:0");
  CAPTURE(url);
  auto endpoint = endpointOf(url);
  auto bound = bindOrFail(endpoint);
  CHECK(bound.local.transport == endpoint.transport);
  CHECK(bound.local.port != 0);
  CHECK(bound.local.host == (endpoint.isIpv6() ? "::1" : "127.0.0.1"));
  auto local = net::localAddress(bound.fd.get());
  REQUIRE(local);
  CHECK(local->toEndpoint(endpoint.transport) == bound.local);

  // The reported endpoint is the real one: a client reaches it.
  auto client = connectOrFail(bound.local);
  auto peer = net::peerAddress(client.get());
  REQUIRE(peer);
  CHECK(peer->toEndpoint(endpoint.transport) == bound.local);
}

TEST_CASE("bindEndpoint leaves the socket non-blocking by default and blocking on request",
          "[endpoint_sockets][bind]") {
  SECTION("default") {
    auto bound = bindOrFail(endpointOf("tcp://127.0.0.1:0"));
    CHECK((::fcntl(bound.fd.get(), F_GETFL) & O_NONBLOCK) != 0);
  }
  SECTION("Blocking::Yes") {
    net::BindOptions options;
    options.blocking = net::Blocking::Yes;
    auto bound = bindOrFail(endpointOf("tcp://127.0.0.1:0"), options);
    CHECK((::fcntl(bound.fd.get(), F_GETFL) & O_NONBLOCK) == 0);
  }
}

TEST_CASE("a bound unix path is removed when its BoundSocket is destroyed", "[endpoint_sockets][unix]") {
  auto scheme = GENERATE(as<std::string>{}, "unix", "unix-dgram", "unix-seqpacket");
  std::string path = testing::tempSocketPath("owned");
  auto endpoint = endpointOf(scheme + "://" + path);
  {
    auto bound = bindOrFail(endpoint);
    CHECK(bound.local == endpoint);
    CHECK(isSocketFile(path));
    auto client = connectOrFail(bound.local);
    CHECK(client);
    // Moving the socket moves the ownership: the path stays until the last owner goes.
    net::BoundSocket moved = std::move(bound);
    CHECK(isSocketFile(path));
  }
  CHECK_FALSE(pathExists(path));
}

TEST_CASE("bindEndpoint on an existing unix path fails with EADDRINUSE and leaves the path alone",
          "[endpoint_sockets][unix]") {
  std::string path = testing::tempSocketPath("existing");
  auto endpoint = endpointOf("unix://" + path);
  std::optional<net::BoundSocket> holder;
  auto occupant = GENERATE(as<std::string>{}, "a regular file", "a socket another BoundSocket holds",
                           "a socket file left by a closed socket");
  CAPTURE(occupant);
  if (occupant == "a regular file") {
    std::ofstream(path) << "not a socket";
  } else if (occupant == "a socket another BoundSocket holds") {
    holder = bindOrFail(endpoint);
  } else {
    auto left = testing::openOrFail(AF_UNIX, SOCK_STREAM);
    REQUIRE(net::bindSocket(left.get(), testing::sockAddrOf("unix://" + path)));
  }
  REQUIRE(pathExists(path));

  auto second = net::bindEndpoint(endpoint);
  REQUIRE_FALSE(second);
  CHECK(failureOf(second) == "bind EADDRINUSE");
  CHECK(second.error().endpoint == endpoint.toString());
  CHECK(second.error().describe() == "unix://" + path + ": bind: EADDRINUSE (Address already in use)");
  CHECK(pathExists(path));
  if (holder) {
    // The holder's socket still answers at the path the failed bind did not unlink.
    auto client = connectOrFail(holder->local);
    CHECK(client);
  }
}

TEST_CASE("bindEndpoint resolves autobind and keeps abstract names", "[endpoint_sockets][unix]") {
  SECTION("unix-dgram://@ gets a kernel-chosen abstract name") {
    auto bound = bindOrFail(endpointOf("unix-dgram://@"));
    CHECK(bound.local.abstract);
    // unix(7) autobind: 5 hex digits (20 bits).
    CHECK(bound.local.path.size() == 5);
    CHECK(bound.local.path.find_first_not_of("0123456789abcdef") == std::string::npos);
  }
  SECTION("an abstract name is taken while bound and free again after") {
    auto endpoint = endpointOf("unix://@" + uniqueAbstractName());
    {
      auto bound = bindOrFail(endpoint);
      CHECK(bound.local == endpoint);
      CHECK(failureOf(net::bindEndpoint(endpoint)) == "bind EADDRINUSE");
      auto client = connectOrFail(endpoint);
      CHECK(client);
    }
    auto again = net::bindEndpoint(endpoint);
    CHECK(failureOf(again) == "no error");
  }
}

TEST_CASE("bindEndpoint refuses a unix name too long for sun_path", "[endpoint_sockets][unix]") {
  net::Endpoint endpoint;
  endpoint.transport = net::Transport::UnixStream;
  endpoint.path = "/tmp/" + std::string(200, 'n');  // built by hand: parseEndpoint would refuse it
  CHECK(failureOf(net::bindEndpoint(endpoint)) == "bind EINVAL");
  CHECK(failureOf(net::connectEndpoint(endpoint, Deadline::after(1s))) == "connect EINVAL");
}

TEST_CASE("connectEndpoint to a refused port fails naming the endpoint and ECONNREFUSED",
          "[endpoint_sockets][connect]") {
  // A bound socket that does not listen refuses connections; holding it keeps the port from being reused.
  auto holder = testing::openOrFail(AF_INET, SOCK_STREAM);
  REQUIRE(net::bindSocket(holder.get(), testing::sockAddrOf("tcp://127.0.0.1:0")));
  auto local = net::localAddress(holder.get());
  REQUIRE(local);
  auto endpoint = local->toEndpoint(net::Transport::Tcp);
  auto closeHolder = GENERATE(false, true);  // bound but not listening, or closed
  CAPTURE(closeHolder);
  if (closeHolder) REQUIRE(net::closeSocket(holder));

  auto connected = net::connectEndpoint(endpoint, Deadline::after(2s));
  REQUIRE_FALSE(connected);
  CHECK(connected.error().describe() ==
        "tcp://127.0.0.1:" + std::to_string(endpoint.port) + ": connect: ECONNREFUSED (Connection refused)");
}

TEST_CASE("connectEndpoint to a unix path with nothing there fails with ENOENT",
          "[endpoint_sockets][connect]") {
  std::string path = testing::tempSocketPath("missing");
  auto connected = net::connectEndpoint(endpointOf("unix://" + path), Deadline::after(1s));
  CHECK(failureOf(connected) == "connect ENOENT");
}

TEST_CASE("connectEndpoint returns a connected, non-blocking socket", "[endpoint_sockets][connect]") {
  auto server = bindOrFail(endpointOf("tcp://127.0.0.1:0"));
  auto client = connectOrFail(server.local);
  CHECK((::fcntl(client.get(), F_GETFL) & O_NONBLOCK) != 0);
  CHECK((::fcntl(client.get(), F_GETFD) & FD_CLOEXEC) != 0);
  auto readable = net::waitReadable(server.fd.get(), Deadline::after(2s));
  REQUIRE(readable);
  CHECK(*readable == net::Readiness::Ready);
  auto accepted = net::acceptConnection(server.fd.get());
  REQUIRE(accepted);
  auto clientLocal = net::localAddress(client.get());
  REQUIRE(clientLocal);
  CHECK(accepted->peer.toString() == clientLocal->toString());
}

TEST_CASE("connectEndpoint that cannot complete fails with ETIMEDOUT at its deadline",
          "[endpoint_sockets][connect][deadline]") {
  // listen(0) holds one connection waiting to be accepted; after that Linux drops SYNs and the client stays
  // in SYN-SENT (SOCKET-FACTS.md, Backlog: tcp_conn_request(), sk_acceptq_is_full()). Connections are made
  // one at a time and never accepted, until one cannot complete.
  net::BindOptions options;
  options.backlog = 0;
  auto server = bindOrFail(endpointOf("tcp://127.0.0.1:0"), options);
  const auto timeout = 500ms;
  std::vector<net::UniqueFd> waiting;
  std::optional<net::EndpointFailure> failure;
  Clock::duration elapsed{};
  for (int attempt = 0; attempt < 8 && !failure; ++attempt) {
    auto start = Clock::now();
    auto connected = net::connectEndpoint(server.local, Deadline::after(timeout));
    elapsed = Clock::now() - start;
    if (connected) {
      waiting.push_back(std::move(*connected));
    } else {
      failure = connected.error();
    }
  }
  REQUIRE(failure);
  CHECK(failure->describe() == server.local.toString() + ": connect: ETIMEDOUT (Connection timed out)");
  INFO("connects completed before the queue was full: " << waiting.size());
  CHECK(waiting.size() >= 1);
  CHECK(waiting.size() <= 2);
  INFO("the failed connect took " << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
                                  << " ms");
  // At the deadline, not before it and not much after (a loose correctness bound, not a speed test).
  CHECK(elapsed >= timeout - 20ms);
  CHECK(elapsed < timeout + 2s);
}

TEST_CASE("connectEndpoint to a unix listener with a full backlog fails at once with EAGAIN",
          "[endpoint_sockets][connect][unix]") {
  // unix_stream_connect(): a non-blocking connect to a full queue is EAGAIN, not EINPROGRESS; listen(0)
  // holds one connection (unix_recvq_full() compares with '>').
  net::BindOptions options;
  options.backlog = 0;
  auto server = bindOrFail(endpointOf("unix://" + testing::tempSocketPath("full")), options);
  std::vector<net::UniqueFd> waiting;
  std::optional<net::EndpointFailure> failure;
  for (int attempt = 0; attempt < 4 && !failure; ++attempt) {
    auto connected = net::connectEndpoint(server.local, Deadline::after(2s));
    if (connected) {
      waiting.push_back(std::move(*connected));
    } else {
      failure = connected.error();
    }
  }
  REQUIRE(failure);
  CHECK(std::string(failure->error.call) + " " + errnoName(failure->error.code) == "connect EAGAIN");
  CHECK(waiting.size() == 1);
}

TEST_CASE("a unix datagram client is autobound so that replies reach it", "[endpoint_sockets][unix]") {
  auto deadline = Deadline::after(2s);
  auto server = bindOrFail(endpointOf("unix-dgram://" + testing::tempSocketPath("dgram")));
  auto client = connectOrFail(server.local);
  REQUIRE(net::sendBytes(client.get(), net::asBytes("ping")));

  auto readable = net::waitReadable(server.fd.get(), deadline);
  REQUIRE(readable);
  REQUIRE(*readable == net::Readiness::Ready);
  std::array<std::uint8_t, 16> buffer{};
  auto request = net::recvFrom(server.fd.get(), buffer);
  REQUIRE(request);
  CHECK(net::asText(net::Bytes(buffer).first(request->size)) == "ping");
  auto from = request->from.toEndpoint(net::Transport::UnixDgram);
  CHECK(from.abstract);
  CHECK_FALSE(from.path.empty());

  REQUIRE(net::sendTo(server.fd.get(), net::asBytes("pong"), request->from));
  readable = net::waitReadable(client.get(), deadline);
  REQUIRE(readable);
  REQUIRE(*readable == net::Readiness::Ready);
  auto reply = net::recvBytes(client.get(), buffer);
  REQUIRE(reply);
  CHECK(net::asText(net::Bytes(buffer).first(*reply)) == "pong");
}

}  // namespace
}  // namespace sockspec
