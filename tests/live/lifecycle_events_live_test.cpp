// The socket lifecycle as the programs' --events logs record it (docs/events.md): every call in a legal
// order for its descriptor, and the orderly SIGTERM stop of the server (accepted connections closed first,
// then the listener, exit 0, unix path removed).
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "base/errno_names.h"
#include "net/endpoint_sockets.h"
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

enum class FdState { Created, Bound, Listening, Connected, Closed };

// Walks the log and FAILs at the first call that is illegal for its descriptor's state: a call on a
// descriptor never created or already closed, bind or listen out of turn, accept on a non-listener, data
// calls on a listener. Descriptors come from socket (the new fd is the result) and accept.
void checkLegalOrder(const std::vector<EventRecord>& records) {
  std::map<int, FdState> state;
  std::int64_t lastTime = 0;
  for (const auto& record : records) {
    INFO(record.describe());
    CHECK(record.tNs >= lastTime);  // CLOCK_MONOTONIC, written in call order
    lastTime = record.tNs;
    if (record.call.empty()) continue;  // a noted event
    bool failed = record.result < 0;
    if (record.call == "socket") {
      if (failed) continue;
      auto fd = static_cast<int>(record.result);
      REQUIRE((state.count(fd) == 0 || state[fd] == FdState::Closed));  // no fd handed out twice while open
      state[fd] = FdState::Created;
      continue;
    }
    REQUIRE(state.count(record.fd) == 1);
    FdState& current = state[record.fd];
    REQUIRE(current != FdState::Closed);
    if (record.call == "bind") {
      REQUIRE(current == FdState::Created);
      if (!failed) current = FdState::Bound;
    } else if (record.call == "listen") {
      REQUIRE((current == FdState::Created || current == FdState::Bound));  // listen(2) auto-binds
      if (!failed) current = FdState::Listening;
    } else if (record.call == "accept") {
      REQUIRE(current == FdState::Listening);
      if (failed) continue;
      auto fd = static_cast<int>(record.result);
      REQUIRE((state.count(fd) == 0 || state[fd] == FdState::Closed));
      state[fd] = FdState::Connected;
    } else if (record.call == "connect") {
      REQUIRE((current == FdState::Created || current == FdState::Bound));
      // A non-blocking connect starts with EINPROGRESS; SO_ERROR (getsockopt) tells the outcome.
      if (!failed || record.errnoName == "EINPROGRESS") current = FdState::Connected;
    } else if (record.call == "close") {
      current = FdState::Closed;
    } else if (record.call == "send" || record.call == "recv" || record.call == "shutdown" ||
               record.call == "sendmsg" || record.call == "recvmsg" || record.call == "sendto" ||
               record.call == "recvfrom") {
      REQUIRE(current != FdState::Listening);
      REQUIRE(current != FdState::Created);
    }
  }
}

// The index of the first record matching `call` on `fd` (any fd if -1) with a result >= `minResult`, at
// or after `from`; FAILs (showing the log) if there is none.
std::size_t requireCall(const std::vector<EventRecord>& records, const std::string& call, int fd,
                        std::int64_t minResult, std::size_t from = 0) {
  auto found = findRecord(
      records,
      [&](const EventRecord& record) {
        return record.call == call && (fd == -1 || record.fd == fd) && record.result >= minResult;
      },
      from);
  if (!found) FAIL("no '" << call << "' on fd " << fd << " from line " << from + 1 << " on:\n" << describeRecords(records));
  return *found;
}

TEST_CASE("events: one echo exchange is logged in a legal order by the server and by the client",
          "[live][events]") {
  std::string transport = GENERATE(as<std::string>{}, "tcp", "unix");
  CAPTURE(transport);
  std::string serverEvents = tempFilePath("exchange-server", ".jsonl");
  std::string clientEvents = tempFilePath("exchange-client", ".jsonl");
  auto server = startReferenceServer(listenUrlFor(transport), "echo", {"--events", serverEvents});
  auto run = runProgram({clientBinary(), "--connect", server.endpoint.toString(), "--service", "echo", "--data",
                         "hello", "--events", clientEvents, "--timeout", "10000"});
  INFO(run.describe());
  REQUIRE(run.exitedWith(0));
  REQUIRE(run.out == "hello");
  // The client has exited, but the server may not have read its FIN yet: a SIGTERM now would close the
  // connection before the recv that returns 0 (CI saw exactly that once). Wait for that recv first.
  auto sawEof = waitForRecord(
      serverEvents, [](const EventRecord& record) { return record.call == "recv" && record.result == 0; },
      Deadline::after(10s));
  INFO(describeRecords(sawEof.records));
  REQUIRE(sawEof.matched);
  stopServerOrFail(server);

  SECTION("the server: socket, bind, listen, accept, recv, send, close") {
    auto records = readEventLog(serverEvents);
    INFO(describeRecords(records));
    checkLegalOrder(records);
    auto socket = requireCall(records, "socket", -1, 0);
    int listener = static_cast<int>(records[socket].result);
    auto bind = requireCall(records, "bind", listener, 0, socket);
    auto listen = requireCall(records, "listen", listener, 0, bind);
    auto accept = requireCall(records, "accept", listener, 0, listen);
    int connection = static_cast<int>(records[accept].result);
    auto recv = requireCall(records, "recv", connection, 1, accept);
    auto send = requireCall(records, "send", connection, 1, recv);
    // The client's FIN: a recv that returns 0.
    auto eof = findRecord(
        records, [&](const EventRecord& record) { return record.call == "recv" && record.fd == connection && record.result == 0; },
        send);
    REQUIRE(eof.has_value());
    auto closeConnection = requireCall(records, "close", connection, 0, *eof);
    auto closeListener = requireCall(records, "close", listener, 0, closeConnection);
    CHECK(records[closeListener].result == 0);
    for (const auto& record : records) CHECK(record.program == "sockspec-server");
  }
  SECTION("the client: socket, connect, send, recv, close") {
    auto records = readEventLog(clientEvents);
    INFO(describeRecords(records));
    checkLegalOrder(records);
    auto socket = requireCall(records, "socket", -1, 0);
    int fd = static_cast<int>(records[socket].result);
    auto connect = requireCall(records, "connect", fd, -1, socket);
    CHECK((records[connect].result == 0 || records[connect].errnoName == "EINPROGRESS"));
    auto send = requireCall(records, "send", fd, 1, connect);
    auto recv = requireCall(records, "recv", fd, 1, send);
    auto close = requireCall(records, "close", fd, 0, recv);
    CHECK(records[close].result == 0);
    for (const auto& record : records) CHECK(record.program == "sockspec-client");
  }
}

// The setsockopt calls the server made on the connection it accepted, as (level, name) pairs.
std::vector<std::pair<int, int>> optionsSetOnAccepted(const std::vector<EventRecord>& records) {
  auto accept = requireCall(records, "accept", -1, 0);
  int connection = static_cast<int>(records[accept].result);
  std::vector<std::pair<int, int>> options;
  for (std::size_t i = accept; i < records.size(); ++i) {
    if (records[i].call == "setsockopt" && records[i].fd == connection) {
      CHECK(records[i].result == 0);
      options.emplace_back(records[i].args.at("level").get<int>(), records[i].args.at("name").get<int>());
    }
  }
  return options;
}

TEST_CASE("the server sets TCP_NODELAY on accepted TCP connections unless told not to, and SO_SNDBUF when asked",
          "[live][events]") {
  const std::pair<int, int> noDelay{IPPROTO_TCP, TCP_NODELAY};
  const std::pair<int, int> sendBuffer{SOL_SOCKET, SO_SNDBUF};
  struct Case {
    std::string transport;
    std::vector<std::string> flags;
    bool expectNoDelay;
    bool expectSendBuffer;
  };
  auto [transport, flags, expectNoDelay, expectSendBuffer] =
      GENERATE(Case{"tcp", {}, true, false}, Case{"tcp6", {}, true, false},
               Case{"tcp", {"--tcp-nodelay", "off"}, false, false},
               Case{"tcp", {"--send-buffer", "4096"}, true, true},
               Case{"unix", {}, false, false},  // TCP_NODELAY means nothing on a unix socket
               Case{"unix", {"--send-buffer", "4096"}, false, true});
  CAPTURE(transport, flags);
  std::string serverEvents = tempFilePath("options-server", ".jsonl");
  std::vector<std::string> serverArgs{"--events", serverEvents};
  serverArgs.insert(serverArgs.end(), flags.begin(), flags.end());
  auto server = startReferenceServer(listenUrlFor(transport), "echo", serverArgs);
  auto run = runProgram({clientBinary(), "--connect", server.endpoint.toString(), "--service", "echo", "--data",
                         "hello", "--timeout", "10000"});
  INFO(run.describe());
  REQUIRE(run.exitedWith(0));
  REQUIRE(run.out == "hello");
  stopServerOrFail(server);
  auto records = readEventLog(serverEvents);
  INFO(describeRecords(records));
  auto options = optionsSetOnAccepted(records);
  CHECK((std::find(options.begin(), options.end(), noDelay) != options.end()) == expectNoDelay);
  CHECK((std::find(options.begin(), options.end(), sendBuffer) != options.end()) == expectSendBuffer);
}

TEST_CASE("SIGTERM: the server closes its connections, then its listener, and exits 0", "[live][lifecycle]") {
  std::string transport = GENERATE(as<std::string>{}, "tcp", "unix", "unix-seqpacket");
  CAPTURE(transport);
  std::string url = listenUrlFor(transport);
  std::string events = tempFilePath("sigterm-server", ".jsonl");
  auto server = startReferenceServer(url, "echo", {"--events", events});

  // Three connections, each proven accepted by an echo, all still open at the SIGTERM.
  std::vector<net::UniqueFd> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(connectOrFail(server.endpoint, Deadline::after(5s)));
    std::string hello = "hello " + std::to_string(i);
    CHECK(exchange(clients.back().get(), hello, Deadline::after(5s)).bytes == hello);
  }
  stopServerOrFail(server);
  CHECK(childrenOfThisProcess().empty());

  // The clients see an orderly close: EOF, not a reset (nothing was left unread on the server's side).
  for (auto& client : clients) {
    auto end = readToEnd(client.get(), Deadline::after(5s));
    INFO(end.describe());
    CHECK(end.eof);
    CHECK(end.bytes.empty());
  }

  auto records = readEventLog(events);
  INFO(describeRecords(records));
  checkLegalOrder(records);
  auto listen = requireCall(records, "listen", -1, 0);
  int listener = records[listen].fd;
  auto signal = findRecord(records, [](const EventRecord& record) {
    return record.event == "signal" && record.detail == "SIGTERM";
  });
  REQUIRE(signal.has_value());
  auto listenerClose = requireCall(records, "close", listener, 0, listen);
  CHECK(listenerClose > *signal);
  std::size_t accepted = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (records[i].call != "accept" || records[i].result < 0) continue;
    ++accepted;
    int connection = static_cast<int>(records[i].result);
    auto close = requireCall(records, "close", connection, 0, i);
    INFO("connection fd " << connection << " accepted at line " << i + 1 << ", closed at line " << close + 1);
    CHECK(close > *signal);         // open until the SIGTERM
    CHECK(close < listenerClose);   // and closed before the listener
  }
  CHECK(accepted == 3);
  // Nothing after the listener's close: it is the last socket call.
  CHECK_FALSE(findRecord(records, [](const EventRecord& record) { return !record.call.empty(); }, listenerClose + 1));

  if (auto path = unixPathOf(url); !path.empty()) {
    CHECK_FALSE(pathExists(path));
  } else {
    // Nobody listens on the port any more.
    auto late = net::connectEndpoint(server.endpoint, Deadline::after(5s));
    REQUIRE_FALSE(late);
    CHECK(errnoName(late.error().error.code) == "ECONNREFUSED");
  }
}

// A SIGTERM that comes while the server is still starting (before its listener exists) is not lost: the
// server stops as soon as it can. Provoked every time: the signal is pending and blocked at exec (the mask
// and pending signals survive execve(2)), so it is delivered when the server unblocks it, which is before
// it serves. Without the unblock it would never arrive; without the hand-over after start it would find no
// server to stop; either way the server would serve until killed.
TEST_CASE("SIGTERM pending when the server starts ends it as soon as it serves: exit 0", "[live][lifecycle]") {
  std::string program = serverBinary();
  char* const argv[] = {program.data(), const_cast<char*>("--listen"), const_cast<char*>("tcp://127.0.0.1:0"),
                        const_cast<char*>("--service"), const_cast<char*>("echo"), nullptr};
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    sigset_t term;
    ::sigemptyset(&term);
    ::sigaddset(&term, SIGTERM);
    ::sigprocmask(SIG_BLOCK, &term, nullptr);
    ::kill(::getpid(), SIGTERM);  // pending: blocked
    int devNull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    ::dup2(devNull, STDOUT_FILENO);
    ::execv(argv[0], argv);
    ::_exit(127);
  }
  int status = 0;
  bool ended = false;
  Deadline deadline = Deadline::after(10s);
  // Bounded by the deadline.
  while (!(ended = ::waitpid(pid, &status, WNOHANG) == pid) && !deadline.expired()) std::this_thread::sleep_for(2ms);
  if (!ended) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  REQUIRE(ended);  // else it served on, deaf to the SIGTERM
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace sockspec
