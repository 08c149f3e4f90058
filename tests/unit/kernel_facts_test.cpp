// The kernel facts the server profile reads: the listener's backlog and queue through sock_diag
// (net/socket_diag.h), the TcpExt counters (suites/tcp_counters.h) and the process facts of /proc
// (process/process_facts.h), against texts of known content and against sockets this test makes.
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "net/endpoint.h"
#include "net/sock_addr.h"
#include "net/socket_diag.h"
#include "net/socket_ops.h"
#include "process/child_process.h"
#include "process/process_tree.h"
#include "process/process_facts.h"
#include "suites/tcp_counters.h"
#include "support/test_files.h"

using namespace sockspec;

namespace {

// A listener on 127.0.0.1, an ephemeral port, with `backlog`; never accepts.
net::UniqueFd listenOn(int backlog, std::uint16_t& port) {
  auto fd = net::openSocket(AF_INET, SOCK_STREAM, 0, net::Blocking::No);
  REQUIRE(fd.ok());
  auto address = net::toSockAddr(*net::parseEndpoint("tcp://127.0.0.1:0"));
  REQUIRE(address.ok());
  REQUIRE(net::bindSocket(fd->get(), *address).ok());
  REQUIRE(net::listenSocket(fd->get(), backlog).ok());
  auto local = net::localAddress(fd->get());
  REQUIRE(local.ok());
  port = net::portOf(*local);
  return std::move(*fd);
}

std::optional<net::TcpSocketInfo> listenerOn(std::uint16_t port) {
  auto sockets = net::listTcpSockets(AF_INET, net::tcpStateBit(net::TcpState::Listen));
  REQUIRE(sockets.ok());
  for (const auto& socket : *sockets) {
    if (net::portOf(socket.local) == port) return socket;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("sock_diag: a listener's backlog and its accept queue, as ss -lt shows them", "[kernel-facts]") {
  std::uint16_t port = 0;
  auto listener = listenOn(5, port);
  auto seen = listenerOn(port);
  REQUIRE(seen);
  CHECK(seen->sendQueue == 5);     // the backlog (ss Send-Q)
  CHECK(seen->receiveQueue == 0);  // nobody waiting (ss Recv-Q)
  CHECK(net::tcpStateName(seen->state) == "LISTEN");
  CHECK(net::isWildcard(seen->remote));

  // Three completed handshakes wait in the queue; a blocking connect returns once the kernel completed it.
  auto target = net::toSockAddr(*net::parseEndpoint(fmt::format("tcp://127.0.0.1:{}", port)));
  std::vector<net::UniqueFd> clients;
  for (int i = 0; i < 3; ++i) {
    auto client = net::openSocket(AF_INET, SOCK_STREAM);
    REQUIRE(client.ok());
    REQUIRE(net::connectSocket(client->get(), *target).ok());
    clients.push_back(std::move(*client));
  }
  seen = listenerOn(port);
  REQUIRE(seen);
  CHECK(seen->receiveQueue == 3);

  // The clients' own ends: ESTABLISHED, local and remote as the client sees them.
  auto local = net::localAddress(clients[0].get());
  REQUIRE(local.ok());
  auto all = net::listTcpSockets(AF_INET, net::tcpStateBit(net::TcpState::Established));
  REQUIRE(all.ok());
  bool found = false;
  for (const auto& socket : *all) {
    if (net::portOf(socket.local) == net::portOf(*local) && net::portOf(socket.remote) == port) {
      found = true;
      CHECK(net::sameHost(socket.local, *local));
      CHECK(socket.inode != 0);
    }
  }
  CHECK(found);
}

TEST_CASE("sock_diag with tcp_info: what the server's end received, and what its owner has not read",
          "[kernel-facts]") {
  std::uint16_t port = 0;
  auto listener = listenOn(4, port);
  auto target = net::toSockAddr(*net::parseEndpoint(fmt::format("tcp://127.0.0.1:{}", port)));
  auto client = net::openSocket(AF_INET, SOCK_STREAM);
  REQUIRE(client.ok());
  REQUIRE(net::connectSocket(client->get(), *target).ok());
  auto accepted = net::acceptConnection(listener.get(), net::Blocking::Yes);
  REQUIRE(accepted.ok());
  REQUIRE(net::sendBytes(client->get(), net::asBytes("hello")).ok());
  auto serverEnd = [&]() -> std::optional<net::TcpSocketInfo> {
    auto sockets =
        net::listTcpSockets(AF_INET, net::tcpStateBit(net::TcpState::Established), net::TcpDiagDetail::Info);
    REQUIRE(sockets.ok());
    for (const auto& socket : *sockets) {
      if (net::portOf(socket.local) == port &&
          net::portOf(socket.remote) == net::portOf(*net::localAddress(client->get()))) {
        return socket;
      }
    }
    return std::nullopt;
  };
  // Bounded: 200 x 5 ms for the segment to be processed.
  std::optional<net::TcpSocketInfo> seen;
  for (int i = 0; i < 200; ++i) {
    seen = serverEnd();
    if (seen && seen->bytesReceived == 5u) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(seen);
  REQUIRE(seen->bytesReceived);
  CHECK(*seen->bytesReceived == 5);
  CHECK(seen->receiveQueue == 5);
  std::uint8_t buffer[16];
  REQUIRE(net::recvBytes(accepted->fd.get(), buffer).ok());
  seen = serverEnd();
  REQUIRE(seen);
  CHECK(*seen->bytesReceived == 5);
  CHECK(seen->receiveQueue == 0);
  // Without the detail, no tcp_info.
  auto basic = net::listTcpSockets(AF_INET, net::tcpStateBit(net::TcpState::Established));
  REQUIRE(basic.ok());
  REQUIRE_FALSE(basic->empty());
  CHECK_FALSE(basic->front().bytesReceived);
}

TEST_CASE("TcpExt counters: parsed by name, malformed text refused, increases", "[kernel-facts]") {
  const std::string text =
      "TcpExt: SyncookiesSent ListenOverflows ListenDrops\n"
      "TcpExt: 0 460 461\n"
      "IpExt: InNoRoutes\n"
      "IpExt: 0\n";
  auto counters = suites::parseTcpExtCounters(text);
  REQUIRE(counters.ok());
  CHECK(counters->at("ListenOverflows") == 460);
  CHECK(counters->at("ListenDrops") == 461);
  CHECK(counters->count("InNoRoutes") == 0);
  CHECK(suites::parseTcpExtCounters("TcpExt: A B\nTcpExt: 1\n").error() == "TcpExt has 2 names and 1 values");
  CHECK(suites::parseTcpExtCounters("IpExt: A\nIpExt: 1\n").error() == "expected 2 TcpExt lines, found 0");
  CHECK(suites::parseTcpExtCounters("TcpExt: A\nTcpExt: x\n").error() == "TcpExt A: 'x' is not a number");
  auto later = *counters;
  later["ListenOverflows"] = 470;
  CHECK(suites::counterIncrease(*counters, later, "ListenOverflows") == 10);
  CHECK(suites::counterIncrease(later, *counters, "ListenOverflows") == 0);  // backwards: not an increase
  CHECK(suites::counterIncrease(*counters, later, "NoSuchCounter") == 0);
  REQUIRE(suites::readTcpExtCounters().ok());
  CHECK(suites::readTcpExtCounters()->count("ListenOverflows") == 1);
}

TEST_CASE("a full accept queue is counted: ListenOverflows rises when SYNs are dropped", "[kernel-facts]") {
  std::uint16_t port = 0;
  auto listener = listenOn(1, port);  // holds 2 (listen(2): backlog + 1 on Linux)
  auto before = suites::readTcpExtCounters();
  REQUIRE(before.ok());
  auto target = net::toSockAddr(*net::parseEndpoint(fmt::format("tcp://127.0.0.1:{}", port)));
  std::vector<net::UniqueFd> clients;
  for (int i = 0; i < 6; ++i) {
    auto client = net::openSocket(AF_INET, SOCK_STREAM, 0, net::Blocking::No);
    REQUIRE(client.ok());
    (void)net::connectSocket(client->get(), *target);  // EINPROGRESS; the SYNs past the queue are dropped
    clients.push_back(std::move(*client));
  }
  auto after = suites::readTcpExtCounters();
  REQUIRE(after.ok());
  // Namespace-wide: others may add to it, never take away.
  CHECK(suites::counterIncrease(*before, *after, "ListenOverflows") >= 4);
  auto seen = listenerOn(port);
  REQUIRE(seen);
  CHECK(seen->sendQueue == 1);
  CHECK(seen->receiveQueue == 2);
}

TEST_CASE("process facts: the parent of a stat line, the tree, descriptors, sockets, CLOSE-WAIT",
          "[kernel-facts]") {
  CHECK(process::parentPidOfStat("42 (a) b) c) S 17 42 42 0") == 17);  // a name with ") " in it
  CHECK(process::parentPidOfStat("42 (sh) R 1 42") == 1);
  CHECK_FALSE(process::parentPidOfStat("42 sh R 1"));
  CHECK_FALSE(process::parentPidOfStat(""));
  // Exiting: PF_EXITING (0x4) in the flags, the ninth field, or a zombie; not for a running process.
  CHECK(process::statSaysExiting("42 (srv) R 1 42 42 0 -1 4194628 0 0"));   // 0x400144: PF_EXITING set
  CHECK_FALSE(process::statSaysExiting("42 (srv) S 1 42 42 0 -1 4194624 0 0"));  // 0x400140: not set
  CHECK(process::statSaysExiting("42 (a) b) Z 1 42 42 0 -1 4194624 0 0"));
  CHECK_FALSE(process::statSaysExiting("42 (srv) S 1 42"));  // too short: no flags
  CHECK_FALSE(process::isExiting(::getpid()));
  CHECK(process::isExiting(-1));  // no such process: gone
  CHECK(process::childrenOf(::getpid()).empty());

  const std::string table =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1145 1 0 "
      "100 0 0 10 0\n"
      "   1: 0100007F:1F90 0100007F:A2B4 08 00000000:00000006 00:00000000 00000000     0        0 2290 1 0 "
      "20 4 30 10 -1\n"
      "   2: 0100007F:1F90 0100007F:A2B6 06 00000000:00000000 03:00001771 00000000     0        0 0 3 0\n"
      "   3: garbage\n";
  auto states = process::tcpStatesByInode(table);
  CHECK(states.size() == 2);  // TIME-WAIT (inode 0) and the garbage line left out
  CHECK(states.at(1145) == 0x0A);
  CHECK(states.at(2290) == 0x08);

  // A shell with a child: the child's sleep is found by its parent pid.
  auto child = process::ChildProcess::spawn({"/bin/sh", "-c", "sleep 30 & wait"});
  REQUIRE(child.ok());
  std::vector<pid_t> tree;
  for (int i = 0; i < 200 && tree.empty(); ++i) {  // bounded: 200 x 5 ms for the shell to fork
    tree = process::descendantsOf(child->pid());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(tree.size() == 1);
  CHECK(process::parentPidOfStat(testing::readFileOrFail("/proc/" + std::to_string(tree[0]) + "/stat")) == child->pid());
  CHECK(process::descendantsOf(-1).empty());

  // This process: a CLOSE-WAIT socket of our own (the peer closed, we did not) is counted as one.
  std::uint16_t port = 0;
  auto listener = listenOn(4, port);
  auto target = net::toSockAddr(*net::parseEndpoint(fmt::format("tcp://127.0.0.1:{}", port)));
  auto client = net::openSocket(AF_INET, SOCK_STREAM);
  REQUIRE(client.ok());
  REQUIRE(net::connectSocket(client->get(), *target).ok());
  auto accepted = net::acceptConnection(listener.get(), net::Blocking::Yes);
  REQUIRE(accepted.ok());
  auto before = process::readProcessTreeFacts({::getpid()});
  client->reset();  // FIN: the accepted end goes to CLOSE-WAIT
  process::ProcessTreeFacts after;
  for (int i = 0; i < 200; ++i) {  // bounded: 200 x 5 ms for the FIN to be processed
    after = process::readProcessTreeFacts({::getpid()});
    if (after.closeWaitSockets > before.closeWaitSockets) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  CHECK(after.processes == 1);
  CHECK(after.closeWaitSockets == before.closeWaitSockets + 1);
  CHECK(after.descriptors == before.descriptors - 1);
  CHECK(after.sockets == before.sockets - 1);
  CHECK(after.residentBytes > 0);
  auto limit = process::openFileLimit(::getpid());
  REQUIRE(limit);
  CHECK(*limit >= after.descriptors);
  child->terminate();
}
