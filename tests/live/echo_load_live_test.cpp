// The echo server under load from the test process: a thousand connections open at once, and half-closed
// transfers far larger than any socket buffer, so that the server must queue replies and still deliver
// every byte before its FIN.
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "base/errno_names.h"
#include "net/socket_ops.h"
#include "support/built_programs.h"
#include "support/live_sockets.h"
#include "support/live_transports.h"
#include "support/program_run.h"
#include "support/server_control.h"
#include "support/test_files.h"

namespace sockspec {
namespace {

using namespace std::chrono_literals;
using namespace testing;

// The soft RLIMIT_NOFILE raised to at least `needed` (up to the hard limit); REQUIREs that it suffices.
void ensureDescriptors(rlim_t needed) {
  rlimit limit{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
  if (limit.rlim_cur < needed && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = std::min(limit.rlim_max, needed);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &limit) == 0);
  }
  INFO("RLIMIT_NOFILE soft " << limit.rlim_cur << ", hard " << limit.rlim_max);
  REQUIRE(limit.rlim_cur >= needed);
}

// Starts a non-blocking TCP connect to `address`; EINPROGRESS is the expected start.
net::UniqueFd startConnect(const net::SockAddr& address) {
  auto fd = net::openSocket(AF_INET, SOCK_STREAM, 0, net::Blocking::No);
  REQUIRE(fd);
  auto connected = net::connectSocket(fd->get(), address);
  if (!connected) REQUIRE(errnoName(connected.error().code) == "EINPROGRESS");
  return std::move(*fd);
}

TEST_CASE("echo: 1,000 TCP connections open at once each get their own echo", "[live][echo][load]") {
  constexpr std::size_t kConnections = 1000;
  ensureDescriptors(kConnections + 64);
  // A backlog above the burst, so that no SYN is dropped and retried a second later (SOCKET-FACTS: a full
  // accept queue drops SYNs silently).
  auto server = startReferenceServer("tcp://127.0.0.1:0", "echo", {"--backlog", "2048"});
  auto address = net::toSockAddr(server.endpoint);
  REQUIRE(address);
  auto deadline = Deadline::after(30s);

  std::vector<net::UniqueFd> sockets;
  sockets.reserve(kConnections);
  for (std::size_t i = 0; i < kConnections; ++i) sockets.push_back(startConnect(*address));

  // Every connect completes (writable, SO_ERROR 0) before any data moves.
  std::vector<pollfd> waiting(kConnections);
  std::vector<bool> connected(kConnections, false);
  std::size_t connectedCount = 0;
  while (connectedCount < kConnections) {
    waiting.clear();
    std::vector<std::size_t> indexOf;
    for (std::size_t i = 0; i < kConnections; ++i) {
      if (connected[i]) continue;
      waiting.push_back(pollfd{sockets[i].get(), POLLOUT, 0});
      indexOf.push_back(i);
    }
    int ready = ::poll(waiting.data(), waiting.size(), deadline.pollTimeoutMs());
    REQUIRE(ready >= 0);
    if (ready == 0) FAIL("only " << connectedCount << " of " << kConnections << " connects completed in time");
    for (std::size_t k = 0; k < waiting.size(); ++k) {
      if (waiting[k].revents == 0) continue;
      auto outcome = net::pendingError(waiting[k].fd);
      REQUIRE(outcome);
      INFO("connection " << indexOf[k] << ": SO_ERROR " << errnoName(*outcome));
      REQUIRE(*outcome == 0);
      connected[indexOf[k]] = true;
      ++connectedCount;
    }
  }

  // All are open now: each sends its own line, and each must get exactly that line back.
  std::vector<std::string> messages(kConnections);
  for (std::size_t i = 0; i < kConnections; ++i) {
    messages[i] = fmt::format("connection {} of {}\n", i, kConnections);
    sendAllOrFail(sockets[i].get(), messages[i], deadline);
  }
  std::vector<std::string> echoed(kConnections);
  std::size_t complete = 0;
  while (complete < kConnections) {
    waiting.clear();
    std::vector<std::size_t> indexOf;
    for (std::size_t i = 0; i < kConnections; ++i) {
      if (echoed[i].size() >= messages[i].size()) continue;
      waiting.push_back(pollfd{sockets[i].get(), POLLIN, 0});
      indexOf.push_back(i);
    }
    int ready = ::poll(waiting.data(), waiting.size(), deadline.pollTimeoutMs());
    REQUIRE(ready >= 0);
    if (ready == 0) FAIL("only " << complete << " of " << kConnections << " echoes came back in time");
    for (std::size_t k = 0; k < waiting.size(); ++k) {
      if (waiting[k].revents == 0) continue;
      std::size_t i = indexOf[k];
      char buffer[256];
      auto received = net::recvBytes(waiting[k].fd, net::MutableBytes(reinterpret_cast<std::uint8_t*>(buffer),
                                                                       sizeof(buffer)));
      INFO("connection " << i << ": " << (received ? "" : received.error().describe()));
      REQUIRE(received);
      INFO("connection " << i << " ended after " << echoed[i].size() << " bytes");
      REQUIRE(*received > 0);
      echoed[i].append(buffer, *received);
      if (echoed[i].size() >= messages[i].size()) {
        REQUIRE(echoed[i] == messages[i]);
        ++complete;
      }
    }
  }
  CHECK(complete == kConnections);
  sockets.clear();
  stopServerOrFail(server);
}

TEST_CASE("echo: a client that sends 4 MiB then shuts down writing gets all of it back, then EOF",
          "[live][echo][half-close]") {
  std::string transport = GENERATE(as<std::string>{}, "tcp", "tcp6", "unix");
  CAPTURE(transport);
  // Far more than the socket buffers hold (AF_UNIX: wmem_default, about 208 KiB; the server stops reading
  // above 256 KiB owed): the server has replies queued when it reads the EOF.
  constexpr std::size_t kSize = 4 * 1024 * 1024;
  std::string data = patternBytes(kSize);
  std::string url = listenUrlFor(transport);
  auto server = startReferenceServer(url, "echo");

  SECTION("the test process as the client") {
    auto fd = connectOrFail(server.endpoint, Deadline::after(5s));
    ExchangeOptions options;
    options.halfClose = true;
    auto end = exchange(fd.get(), data, Deadline::after(60s), options);
    INFO(end.describe());
    CHECK(end.sent == kSize);
    CHECK(end.eof);  // a FIN, not ECONNRESET
    CHECK(end.error == 0);
    REQUIRE(end.bytes.size() == kSize);
    CHECK(end.bytes == data);
  }
  SECTION("sockspec-client --half-close") {
    std::string inputPath = tempFilePath("half-close-input", ".bin");
    std::string outputPath = tempFilePath("half-close-output", ".bin");
    writeFileOrFail(inputPath, data);
    auto run = runProgram({clientBinary(), "--connect", server.endpoint.toString(), "--service", "echo",
                           "--input", inputPath, "--half-close", "--timeout", "60000", "--output", outputPath},
                          {}, 90s);
    INFO(run.describe());
    REQUIRE(run.exitedWith(0));
    CHECK(readFileOrFail(outputPath) == data);
  }
  stopServerOrFail(server);
  if (auto path = unixPathOf(url); !path.empty()) CHECK_FALSE(pathExists(path));
}

}  // namespace
}  // namespace sockspec
