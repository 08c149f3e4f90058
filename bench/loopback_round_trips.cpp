// loopback_round_trips: the raw loopback limit the server_stream fuzzer is measured against. One thread
// plays client and in-process reference echo server, in the fuzzer's shape (fuzz/server_under_test.h):
// per round trip a fresh connection, one small echo checked byte for byte, the client's close, and the
// server's close of its side, the server driven by runOnce(0) between non-blocking client calls. No
// fuzzing, no sanitizers, no coverage: what the kernel and the server cost alone.
//   loopback_round_trips [--seconds T] [--transport tcp|unix] [--message-size N] [--close rst|fin]
// Prints one human line and `result mode=loopback-round-trips status=ok|failed rate=... round_trips=...`.
// Exit status: 0 measured, 1 a round trip failed (wrong echo, reset, stall), 2 bad usage, 3 set-up failed.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "base/deadline.h"
#include "base/exit_codes.h"
#include "net/endpoint_sockets.h"
#include "net/socket_ops.h"
#include "reference_server.h"

namespace {

using namespace sockspec;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kStallTimeout{2000};

struct Options {
  double seconds = 3;
  std::string transport = "tcp";
  std::size_t messageSize = 32;
  std::string close = "rst";
};

// Serves until `done()` holds, or fails after kStallTimeout. Returns false on a stall or a server failure.
template <typename Done>
bool serveUntil(server::ReferenceServer& server, Done&& done) {
  Deadline stallAt = Deadline::after(kStallTimeout);
  while (!done()) {
    if (!server.runOnce(std::chrono::milliseconds(0))) return false;
    if (stallAt.expired()) return false;
  }
  return true;
}

// One connection: connect, send the message, read its echo, close, and wait for the server to close its
// side. An empty string when all went well, else what failed.
std::string roundTrip(server::ReferenceServer& server, const Options& options, const std::vector<std::uint8_t>& message,
                      std::vector<std::uint8_t>& buffer) {
  std::uint64_t closedBefore = server.counters().closed;
  auto connected = net::connectEndpoint(server.local(), Deadline::after(kStallTimeout));
  if (!connected) return connected.error().describe();
  net::UniqueFd client = std::move(*connected);
  auto sent = net::sendBytes(client.get(), message);
  if (!sent || *sent != message.size()) return "send: " + (sent ? std::string("short") : sent.error().describe());
  std::size_t received = 0;
  std::string problem;
  bool echoed = serveUntil(server, [&] {
    auto got = net::recvBytes(client.get(), net::MutableBytes(buffer.data() + received, buffer.size() - received));
    if (got && *got > 0) received += *got;
    if (!got && got.error().code != EAGAIN) problem = got.error().describe();
    if (got && *got == 0) problem = "EOF before the echo";
    return received >= message.size() || !problem.empty();
  });
  if (!problem.empty()) return problem;
  if (!echoed) return "stall waiting for the echo";
  if (received != message.size() || !std::equal(message.begin(), message.end(), buffer.begin())) return "wrong echo";
  if (options.close == "rst") {
    if (auto set = net::setAbortiveClose(client.get()); !set) return set.error().describe();
  }
  client.reset();
  if (!serveUntil(server, [&] { return server.counters().closed > closedBefore; })) {
    return "stall waiting for the server to close";
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Round trips per second on loopback with a fresh connection each: connect, one small echo, close"};
  Options options;
  app.add_option("--seconds", options.seconds, "how long to measure")->check(CLI::Range(0.1, 600.0))
      ->capture_default_str();
  app.add_option("--transport", options.transport, "tcp (127.0.0.1) or unix (abstract name)")
      ->check(CLI::IsMember({"tcp", "unix"}))->capture_default_str();
  app.add_option("--message-size", options.messageSize, "bytes echoed per connection")
      ->check(CLI::Range(1, 65536))->capture_default_str();
  app.add_option("--close", options.close, "rst: SO_LINGER 0, no TIME_WAIT (as the fuzzer cleans up); fin: close()")
      ->check(CLI::IsMember({"rst", "fin"}))->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? kExitOk : kExitUsage;
  }

  std::string url = options.transport == "tcp" ? std::string("tcp://127.0.0.1:0")
                                               : fmt::format("unix://@sockspec-loopback-round-trips-{}", ::getpid());
  auto endpoint = net::parseEndpoint(url);
  if (!endpoint) {
    std::fprintf(stderr, "loopback_round_trips: %s\n", net::formatEndpointError(url, endpoint.error()).c_str());
    return kExitInternal;
  }
  server::ServerConfig config;
  config.listen = *endpoint;
  config.service = server::Service::Echo;
  auto started = server::ReferenceServer::start(config);
  if (!started) {
    std::fprintf(stderr, "loopback_round_trips: %s\n", started.error().c_str());
    return kExitInternal;
  }
  server::ReferenceServer& server = **started;

  std::vector<std::uint8_t> message(options.messageSize);
  for (std::size_t i = 0; i < message.size(); ++i) message[i] = static_cast<std::uint8_t>('a' + i % 26);
  std::vector<std::uint8_t> buffer(options.messageSize);
  auto window = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.seconds));
  auto start = Clock::now();
  auto end = start + window;
  std::uint64_t trips = 0;
  std::string problem;
  // Bounded by the window: each round trip is itself bounded by kStallTimeout.
  while (Clock::now() < end) {
    problem = roundTrip(server, options, message, buffer);
    if (!problem.empty()) break;
    ++trips;
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  double rate = static_cast<double>(trips) / elapsed;
  if (!problem.empty()) {
    std::printf("loopback %s: round trip %llu failed: %s\n", options.transport.c_str(),
                static_cast<unsigned long long>(trips + 1), problem.c_str());
    std::printf("result mode=loopback-round-trips status=failed round_trips=%llu\n",
                static_cast<unsigned long long>(trips));
    return kExitCheckFailed;
  }
  std::printf("loopback %s: %llu round trips in %.2f s (%zu-byte echo, close by %s): %.0f per second\n",
              options.transport.c_str(), static_cast<unsigned long long>(trips), elapsed, options.messageSize,
              options.close.c_str(), rate);
  std::printf("result mode=loopback-round-trips status=ok rate=%.0f round_trips=%llu seconds=%.2f\n", rate,
              static_cast<unsigned long long>(trips), elapsed);
  return kExitOk;
}
