// Each deliberate fault of sockspec-server (docs/server.md) must break exactly what it claims to, every time,
// and the same check must pass against the server without the fault. Races between the test and the server
// are taken out by construction: where the server's view of the order of events matters (data and FIN
// arriving together, connections queued before the first accept), the test stops the server (SIGSTOP, see
// FrozenProcess), queues everything, and lets it run again, so that it finds all of it in one epoll_wait.
#include <sys/socket.h>

#include <chrono>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

#include "base/errno_names.h"
#include "net/endpoint_sockets.h"
#include "net/socket_ops.h"
#include "support/built_programs.h"
#include "support/event_log_reader.h"
#include "support/live_sockets.h"
#include "support/live_transports.h"
#include "support/process_probe.h"
#include "support/program_run.h"
#include "support/server_control.h"
#include "support/test_files.h"

namespace sockspec {
namespace {

using namespace std::chrono_literals;
using namespace testing;

// Runs sockspec-client against `endpoint` with `args` after --connect, --service echo and --timeout.
ProgramRun runEchoClient(const net::Endpoint& endpoint, std::vector<std::string> args) {
  std::vector<std::string> argv{clientBinary(), "--connect", endpoint.toString(), "--service", "echo",
                                "--timeout", "10000"};
  argv.insert(argv.end(), args.begin(), args.end());
  return runProgram(argv, {}, 20s);
}

bool isPrefixOf(const std::string& part, const std::string& whole) { return whole.compare(0, part.size(), part) == 0; }

// --- one-recv: one recv(1024) per connection, answered, then close ------------------------------------------

// A 4 KiB request sent at once, the echo read until it is complete or the connection ends.
StreamEnd echoFourKibibytes(const net::Endpoint& endpoint) {
  auto fd = connectOrFail(endpoint, Deadline::after(5s));
  return exchange(fd.get(), patternBytes(4096), Deadline::after(10s));
}

TEST_CASE("fault one-recv: a 4 KiB request comes back short and the connection ends early",
          "[live][fault][one-recv]") {
  std::string transport = GENERATE(as<std::string>{}, "tcp", "unix");
  CAPTURE(transport);
  std::string request = patternBytes(4096);

  SECTION("without the fault the whole 4 KiB comes back") {
    auto server = startReferenceServer(listenUrlFor(transport), "echo");
    auto end = echoFourKibibytes(server.endpoint);
    INFO(end.describe());
    CHECK(end.bytes == request);
    auto run = runEchoClient(server.endpoint, {"--data", std::string(4096, 'x')});
    INFO(run.describe());
    CHECK(run.exitedWith(0));
    stopServerOrFail(server);
  }
  SECTION("with --fault one-recv at most 1024 bytes come back, then EOF or a reset") {
    auto server = startReferenceServer(listenUrlFor(transport), "echo", {"--fault", "one-recv"});
    // The one recv can return no more than 1024 bytes, whatever share of the 4 KiB has arrived by then.
    auto end = echoFourKibibytes(server.endpoint);
    INFO(end.describe());
    CHECK_FALSE(end.timedOut);
    CHECK((end.eof || end.resetByPeer()));
    CHECK(end.bytes.size() <= 1024);
    CHECK(isPrefixOf(end.bytes, request));
    auto run = runEchoClient(server.endpoint, {"--data", std::string(4096, 'x')});
    INFO(run.describe());
    CHECK(run.exitedWith(1));
    CHECK(splitLines(run.err).size() == 1);
    stopServerOrFail(server);
  }
}

// --- truncate-dgram: datagrams and seqpacket records read into 1024 bytes -------------------------------------

TEST_CASE("fault truncate-dgram: a 2,000-byte datagram comes back as its first 1,024 bytes",
          "[live][fault][truncate-dgram]") {
  std::string transport = GENERATE(as<std::string>{}, "udp", "udp6", "unix-dgram", "unix-seqpacket");
  std::string fault = GENERATE(as<std::string>{}, "none", "truncate-dgram");
  CAPTURE(transport, fault);
  auto server = startReferenceServer(listenUrlFor(transport), "echo", {"--fault", fault});
  std::string request = patternBytes(2000);
  std::size_t expected = fault == "none" ? 2000 : 1024;

  auto fd = connectOrFail(server.endpoint, Deadline::after(5s));
  sendDatagramOrFail(fd.get(), request);
  std::size_t fullSize = 0;
  auto reply = receiveDatagram(fd.get(), Deadline::after(5s), &fullSize);
  REQUIRE(reply.has_value());
  CHECK(fullSize == expected);
  CHECK(*reply == request.substr(0, expected));

  auto run = runEchoClient(server.endpoint, {"--data", std::string(2000, 'y')});
  INFO(run.describe());
  CHECK(run.exitedWith(fault == "none" ? 0 : 1));
  if (fault != "none") CHECK(run.err.find("1024") != std::string::npos);
  stopServerOrFail(server);
}

// --- close-listener-first: the listener closed right after the first accept ----------------------------------

TEST_CASE("fault close-listener-first: queued clients are reset and later ones cannot connect",
          "[live][fault][close-listener-first]") {
  std::string transport = GENERATE(as<std::string>{}, "tcp", "unix");
  std::string fault = GENERATE(as<std::string>{}, "none", "close-listener-first");
  CAPTURE(transport, fault);
  std::string url = listenUrlFor(transport);
  auto server = startReferenceServer(url, "echo", {"--fault", fault});
  bool faulty = fault != "none";

  // Three clients complete their connects while the server cannot run: all three wait in the accept queue
  // (the kernel does the TCP handshake; an AF_UNIX connect is queued at once), in this order.
  std::vector<net::UniqueFd> clients;
  {
    FrozenProcess frozen(server.process.pid(), Deadline::after(5s));
    for (int i = 0; i < 3; ++i) clients.push_back(connectOrFail(server.endpoint, Deadline::after(5s)));
  }
  // The accept queue is FIFO: the first client is the one accepted, and it is served normally.
  auto first = exchange(clients[0].get(), "first", Deadline::after(5s));
  INFO("first client: " << first.describe());
  CHECK(first.bytes == "first");
  for (std::size_t i = 1; i < clients.size(); ++i) {
    auto queued = exchange(clients[i].get(), "queued", Deadline::after(5s));
    INFO("queued client " << i << ": " << queued.describe());
    if (faulty) {
      // Closing a listener resets what is still in its queue (inet_csk_listen_stop(); unix_release_sock()).
      CHECK(queued.resetByPeer());
      CHECK(queued.bytes.empty());
    } else {
      CHECK(queued.bytes == "queued");
    }
  }

  // A client arriving after the first accept.
  auto late = net::connectEndpoint(server.endpoint, Deadline::after(5s));
  INFO("late client: " << (late ? std::string("connected") : late.error().describe()));
  if (!faulty) {
    REQUIRE(late);
    CHECK(exchange(late->get(), "late", Deadline::after(5s)).bytes == "late");
  } else if (transport == "tcp") {
    REQUIRE_FALSE(late);
    CHECK(errnoName(late.error().error.code) == "ECONNREFUSED");  // nothing listens on the port
  } else {
    REQUIRE_FALSE(late);
    CHECK(errnoName(late.error().error.code) == "ENOENT");  // closing the listener removed its path
    CHECK_FALSE(pathExists(unixPathOf(url)));
  }
  if (faulty && transport == "tcp") {
    // The reference client names the refusal and exits 2 (nobody listening), in one line.
    auto run = runEchoClient(server.endpoint, {"--data", "late"});
    INFO(run.describe());
    CHECK(run.exitedWith(2));
    CHECK(run.err.find("ECONNREFUSED") != std::string::npos);
    CHECK(splitLines(run.err).size() == 1);
  }
  clients.clear();
  stopServerOrFail(server);
}

// --- no-half-close: the client's EOF taken as the end of the connection -------------------------------------

// /proc/sys/net/core/wmem_default: the send buffer every AF_UNIX socket starts with (socket(7)).
std::size_t defaultSendBuffer() {
  std::ifstream file("/proc/sys/net/core/wmem_default");
  std::size_t bytes = 0;
  file >> bytes;
  REQUIRE(bytes > 0);
  return bytes;
}

TEST_CASE("fault no-half-close: a large half-closed echo comes back incomplete", "[live][fault][no-half-close]") {
  std::string fault = GENERATE(as<std::string>{}, "none", "no-half-close");
  CAPTURE(fault);
  // The fault shows only if the server still owes replies when it reads the EOF: a close() then drops them,
  // while what the kernel already holds is still delivered before the FIN. So the client sends everything,
  // shuts down, and reads nothing until the server has read the EOF; the size is chosen so that, with the
  // client not reading,
  //  - the kernel cannot hold the whole echo: on AF_UNIX what the server has sent sits in the client's
  //    receive queue charged to the server's send buffer, wmem_default (W) plus at most one skb of W/2
  //    (unix_stream_sendmsg() allocates while below the limit), so the server owes size - 1.5 W or more;
  //  - the server never owes more than 256 KiB, where it would stop reading (docs/server.md) and never see
  //    the EOF: it holds at least about 0.95 W (measured: 219 KB for W = 208 KiB), so it owes at most
  //    size - 0.95 W.
  // Both hold for a size halfway between 1.5 W and 0.95 W + 256 KiB. TCP cannot be pinned like this: its
  // send buffer autotunes to megabytes on loopback (tcp_sndbuf_expand()), so there the fault is a race.
  std::size_t w = defaultSendBuffer();
  INFO("wmem_default " << w);
  REQUIRE(w * 55 / 100 < 256 * 1024);  // else no size meets both conditions
  std::size_t size = (w * 3 / 2 + w * 95 / 100 + 256 * 1024) / 2;
  CAPTURE(size);
  // The client must not read before the server has read the EOF (reading lets the server flush what it
  // owes): the server's --events log says when it has (recv returned 0).
  std::string events = tempFilePath("no-half-close-server", ".jsonl");
  auto server = startReferenceServer(listenUrlFor("unix"), "echo", {"--fault", fault, "--events", events});
  std::string data = patternBytes(size);

  auto fd = connectOrFail(server.endpoint, Deadline::after(5s));
  sendAllOrFail(fd.get(), data, Deadline::after(10s));
  REQUIRE(net::shutdownSocket(fd.get(), SHUT_WR));
  auto sawEof = waitForRecord(
      events, [](const EventRecord& record) { return record.call == "recv" && record.result == 0; },
      Deadline::after(10s));
  INFO(describeRecords(sawEof.records));
  REQUIRE(sawEof.matched);
  auto end = readToEnd(fd.get(), Deadline::after(10s));
  INFO(end.describe());
  CHECK(end.eof);  // a FIN either way: the server read everything before closing
  CHECK(isPrefixOf(end.bytes, data));
  if (fault == "none") {
    CHECK(end.bytes.size() == size);
  } else {
    CHECK(end.bytes.size() < size);
  }
  stopServerOrFail(server);
}

// --- rst-on-close: the connection closed when the client's FIN is seen, with data unread --------------------

TEST_CASE("fault rst-on-close: a client that sends and half-closes gets ECONNRESET instead of its echo",
          "[live][fault][rst-on-close]") {
  std::string transport = GENERATE(as<std::string>{}, "tcp", "unix");
  std::string fault = GENERATE(as<std::string>{}, "none", "rst-on-close");
  CAPTURE(transport, fault);
  auto server = startReferenceServer(listenUrlFor(transport), "echo", {"--fault", fault});
  std::string data = patternBytes(4096);

  SECTION("the test process as the client") {
    net::UniqueFd fd;
    {
      // Data and FIN both queued before the server runs again: it accepts, and its first epoll_wait on the
      // connection reports EPOLLIN and EPOLLRDHUP together, with all 4 KiB unread.
      FrozenProcess frozen(server.process.pid(), Deadline::after(5s));
      fd = connectOrFail(server.endpoint, Deadline::after(5s));
      sendAllOrFail(fd.get(), data, Deadline::after(5s));
      REQUIRE(net::shutdownSocket(fd.get(), SHUT_WR));
    }
    auto end = readToEnd(fd.get(), Deadline::after(10s));
    INFO(end.describe());
    if (fault == "none") {
      CHECK(end.eof);
      CHECK(end.bytes == data);
    } else {
      // close(2) with unread data sends RST, not FIN (tcp_close(): data_was_unread; unix_release_sock()).
      CHECK(end.resetByPeer());
      CHECK(end.bytes.empty());
    }
  }
  SECTION("sockspec-client --half-close") {
    std::string events = tempFilePath("rst-client", ".jsonl");
    std::optional<ProgramRun> run;
    {
      FrozenProcess frozen(server.process.pid(), Deadline::after(5s));
      auto client = process::ChildProcess::spawn(
          {clientBinary(), "--connect", server.endpoint.toString(), "--service", "echo", "--data",
           std::string(4096, 'z'), "--half-close", "--timeout", "10000", "--events", events, "--quiet"},
          process::SpawnOptions{false, true, true});
      REQUIRE(client);
      // Thaw only once the client has sent everything and shut down writing.
      auto shutDown = waitForRecord(
          events, [](const EventRecord& record) { return record.call == "shutdown" && record.result == 0; },
          Deadline::after(10s));
      INFO(describeRecords(shutDown.records));
      REQUIRE(shutDown.matched);
      frozen.thaw();
      auto status = client->wait(Deadline::after(15s));
      ProgramRun finished;
      finished.status = status;
      finished.err = client->readAllStderr(Deadline::after(1s));
      run = finished;
    }
    INFO(run->describe());
    if (fault == "none") {
      CHECK(run->exitedWith(0));
    } else {
      CHECK(run->exitedWith(1));
      CHECK(run->err.find("ECONNRESET") != std::string::npos);
    }
  }
  stopServerOrFail(server);
}

// --- leak-fd: each connection ended with shutdown(SHUT_RDWR), its descriptor never closed -------------------

TEST_CASE("fault leak-fd: clients see an orderly end, and the server keeps one descriptor per connection",
          "[live][fault][leak-fd]") {
  std::string transport = GENERATE(as<std::string>{}, "tcp", "unix");
  std::string fault = GENERATE(as<std::string>{}, "none", "leak-fd");
  CAPTURE(transport, fault);
  auto server = startReferenceServer(listenUrlFor(transport), "echo", {"--fault", fault});
  auto echoOnce = [&](std::string_view data) {
    auto fd = connectOrFail(server.endpoint, Deadline::after(5s));
    ExchangeOptions halfClose;
    halfClose.halfClose = true;
    auto end = exchange(fd.get(), data, Deadline::after(10s), halfClose);
    INFO(end.describe());
    // The server's FIN comes from close(2) or, with the fault, from shutdown(2): the client cannot tell.
    CHECK(end.eof);
    CHECK(end.bytes == data);
  };
  echoOnce("first");  // anything the server opens once, on its first connection, is open before counting
  std::size_t before = openDescriptorCount(server.process.pid());
  REQUIRE(before > 0);
  constexpr std::size_t kConnections = 5;
  for (std::size_t i = 0; i < kConnections; ++i) echoOnce(patternBytes(100 + i));
  // The client saw EOF, so the server's close(2) or shutdown(2) has returned: nothing is left to wait for.
  std::size_t after = openDescriptorCount(server.process.pid());
  CHECK(after - before == (fault == "none" ? 0 : kConnections));
  stopServerOrFail(server);
}

}  // namespace
}  // namespace sockspec
