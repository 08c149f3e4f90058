// sockspec-test-fuzz-victim (tests/support/fuzz_victim_server.cpp) does what its header says, for both
// protocols over TCP and UDP: an ordinary conversation gets the documented replies whatever the --fault (none
// of them trips on it), and each fault fires on its trigger exactly as documented. The requests and replies
// are written here from that header, apart from the server's code on purpose. Where the order in which the
// server sees two clients matters (hang-on-command), the test waits until the kernel shows that the server
// has read the trigger (/proc/net/tcp, /proc/net/udp) rather than for some time.
#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/display_escape.h"
#include "base/errno_names.h"
#include "net/endpoint_sockets.h"
#include "net/socket_ops.h"
#include "process/child_process.h"
#include "support/live_sockets.h"
#include "support/process_probe.h"

namespace sockspec {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using namespace testing;

constexpr auto kReplyWait = 5s;       // the bound on a reply that must come
constexpr auto kSilenceWait = 500ms;  // how long a reply that must not come is waited for

// How the test talks to the victim.
struct Mode {
  std::string protocol;  // "line" or "binary"
  bool udp = false;
  std::string describe() const { return protocol + (udp ? " over UDP" : " over TCP"); }
};

Mode anyMode() {
  return GENERATE(Mode{"line", false}, Mode{"line", true}, Mode{"binary", false}, Mode{"binary", true});
}

std::string frame(std::uint8_t type, std::string_view payload) {
  std::size_t length = payload.size() + 1;
  std::string bytes{static_cast<char>(length >> 8), static_cast<char>(length & 0xff),
                    static_cast<char>(type)};
  return bytes.append(payload);
}

struct Said {
  std::string line;       // the request line, terminator included
  std::string lineReply;  // the reply line without its "\r\n"
  std::uint8_t type;
  std::string payload;
  std::uint8_t replyType;
  std::string replyPayload;

  std::string request(const Mode& mode) const {
    return mode.protocol == "line" ? line : frame(type, payload);
  }
  std::string reply(const Mode& mode) const {
    return mode.protocol == "line" ? lineReply + "\r\n" : frame(replyType, replyPayload);
  }
};

const Said kPing{"PING\n", "+PONG", 1, "", 0x81, ""};
const Said kStatLoggedOut{"STAT\n", "-ERR login first", 5, "", 0xEE, "login first"};
const Said kLogin{"LOGIN alice\r\n", "+OK welcome alice", 2, "alice", 0x82, "welcome"};
const Said kSetColour{"SET colour blue\n", "+OK", 3, "colour\0blue"s, 0x83, ""};
const Said kSetLoop{"SET loop around\r\n", "+OK", 3, "loop\0around"s, 0x83, ""};
const Said kGetColour{"GET colour\n", "$blue", 4, "colour", 0x84, "blue"};
const Said kGetLeak{"GET leak\n", "-ERR no such key", 4, "leak", 0xEE, "no such key"};
const Said kUnknown{"HELLO there\n", "-ERR unknown command", 9, "there", 0xEE, "unknown type"};
const Said kStatTwoKeys{"STAT\r\n", "+keys 2", 5, "", 0x85, "\0\0\0\2"s};
const Said kQuit{"QUIT\n", "+BYE", 6, "", 0x86, ""};
// The triggers.
const Said kGetLoop{"GET loop\n", "", 4, "loop", 0, ""};
const Said kSetLeak{"SET leak x\n", "+OK", 3, "leak\0x"s, 0x83, ""};
const Said kGetLeakAfterSet{"GET leak\n", "$x", 4, "leak", 0x84, "x"};
const Said kQuitNow{"QUIT now\n", "+BYE", 6, "now", 0x86, ""};

// Every kind of request, each fault's trigger missed by one step: STAT before LOGIN, the key "loop" in a SET
// and "leak" in a GET, QUIT without "now". STAT once logged in is crash-after-login's trigger itself, so
// `statLoggedIn` leaves it out there.
std::vector<Said> ordinaryConversation(bool statLoggedIn) {
  std::vector<Said> said{kPing, kStatLoggedOut, kLogin, kSetColour, kSetLoop, kGetColour, kGetLeak, kUnknown};
  if (statLoggedIn) said.push_back(kStatTwoKeys);
  said.push_back(kQuit);
  return said;
}

struct Victim {
  process::ChildProcess process;
  std::uint16_t port;
  Mode mode;

  pid_t pid() const { return process.pid(); }
  net::Endpoint endpoint() const {
    net::Endpoint endpoint;
    endpoint.transport = mode.udp ? net::Transport::Udp : net::Transport::Tcp;
    endpoint.host = "127.0.0.1";
    endpoint.port = port;
    return endpoint;
  }
  bool running() { return !process.wait(Deadline::after(0ms)).has_value(); }
};

// Starts the victim on a port the kernel picks (--port 0) and reads the port from its one stdout line.
Victim startVictim(const Mode& mode, const std::string& fault) {
  std::vector<std::string> argv{
      SOCKSPEC_FUZZ_VICTIM_BINARY, "--port", "0", "--protocol", mode.protocol, "--fault", fault};
  if (mode.udp) argv.emplace_back("--udp");
  process::SpawnOptions options;
  options.captureStderr = true;
  auto child = process::ChildProcess::spawn(argv, options);
  if (!child) FAIL(child.error());
  auto line = child->readLine(Deadline::after(10s));
  constexpr std::string_view kPrefix = "listening on 127.0.0.1:";
  if (!line || !line->starts_with(kPrefix)) {
    FAIL("expected '" << kPrefix << "PORT', got " << (line ? "'" + escapeForDisplay(*line) + "'" : "nothing")
                      << "; stderr: " << escapeForDisplay(child->readAllStderr(Deadline::after(200ms))));
  }
  auto port = static_cast<std::uint16_t>(std::stoul(line->substr(kPrefix.size())));
  return Victim{std::move(*child), port, mode};
}

// SIGTERM must end it with exit 0 within the deadline, whatever state a fault left it in.
void stopVictimOrFail(Victim& victim) {
  victim.process.signal(SIGTERM);
  auto status = victim.process.wait(Deadline::after(kReplyWait));
  REQUIRE(status);
  INFO(status->describe() << "; stderr: "
                          << escapeForDisplay(victim.process.readAllStderr(Deadline::after(200ms))));
  CHECK(*status == process::ExitStatus{true, 0, 0});
}

// The test's end of one conversation: a TCP connection, or a connected UDP socket (a sender of its own).
class Client {
 public:
  explicit Client(const Victim& victim)
      : m_udp(victim.mode.udp), m_fd(connectOrFail(victim.endpoint(), Deadline::after(kReplyWait))) {}

  int fd() const { return m_fd.get(); }

  std::uint16_t localPort() const {
    sockaddr_in address{};
    socklen_t length = sizeof(address);
    REQUIRE(::getsockname(m_fd.get(), reinterpret_cast<sockaddr*>(&address), &length) == 0);
    return ntohs(address.sin_port);
  }

  // One write (UDP: one datagram).
  void send(std::string_view request) {
    if (m_udp)
      sendDatagramOrFail(m_fd.get(), request);
    else
      sendAllOrFail(m_fd.get(), request, Deadline::after(kReplyWait));
  }

  // Sends `request` and returns what comes back: over TCP until `expectedSize` bytes came or the stream
  // ended, over UDP the one reply datagram; "" when nothing came in time.
  std::string ask(std::string_view request, std::size_t expectedSize) {
    if (!m_udp) {
      ExchangeOptions options;
      options.stopAfter = expectedSize;
      return exchange(m_fd.get(), request, Deadline::after(kReplyWait), options).bytes;
    }
    send(request);
    return receiveDatagram(m_fd.get(), Deadline::after(kReplyWait)).value_or("");
  }

  std::string ask(const Said& said, const Mode& mode) {
    return escapeForDisplay(ask(said.request(mode), said.reply(mode).size()), 4096);
  }

  // What arrives within `wait`: over UDP the next datagram ("" if none, or if the port was unreachable).
  std::string replyWithin(std::chrono::milliseconds wait) {
    if (!m_udp) return readToEnd(m_fd.get(), Deadline::after(wait)).bytes;
    pollfd entry{m_fd.get(), POLLIN, 0};
    if (::poll(&entry, 1, static_cast<int>(wait.count())) != 1) return "";
    std::string buffer(70000, '\0');
    auto received = net::recvBytes(
        m_fd.get(), net::MutableBytes(reinterpret_cast<std::uint8_t*>(buffer.data()), buffer.size()));
    if (!received) {
      // ICMP port unreachable (udp(7)): what a closed UDP port answers, when the kernel's rate limit allows.
      CHECK(received.error().code == ECONNREFUSED);
      return "";
    }
    buffer.resize(*received);
    return buffer;
  }

  // TCP: the rest of the stream, which after QUIT must be an orderly close with nothing before it.
  void expectClosedByServer() {
    auto end = readToEnd(m_fd.get(), Deadline::after(kReplyWait));
    INFO(end.describe());
    CHECK(end.eof);
    CHECK(end.bytes.empty());
  }

 private:
  bool m_udp;
  net::UniqueFd m_fd;
};

std::string expected(const Said& said, const Mode& mode) {
  return escapeForDisplay(said.reply(mode), 4096);
}

// rx_queue (proc(5)) of the socket in /proc/net/tcp or /proc/net/udp with local port `localPort` and, when
// given, remote port `remotePort`; nullopt when there is none. TCP: bytes the server has not read; UDP: the
// memory its queued datagrams take.
std::optional<std::uint64_t> receiveQueue(const char* table, std::uint16_t localPort,
                                          std::optional<std::uint16_t> remotePort = std::nullopt) {
  std::ifstream file(table);
  std::string line;
  std::getline(file, line);  // the header
  auto portOf = [](const std::string& address) {
    return std::stoul(address.substr(address.find(':') + 1), nullptr, 16);
  };
  while (std::getline(file, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues;
    if (!(fields >> slot >> local >> remote >> state >> queues)) continue;
    if (portOf(local) != localPort || (remotePort && portOf(remote) != *remotePort)) continue;
    return std::stoull(queues.substr(queues.find(':') + 1), nullptr, 16);
  }
  return std::nullopt;
}

// Polls `condition` until it holds; FAILs naming `what` at the deadline.
void waitUntil(const std::function<bool()>& condition, const char* what) {
  auto deadline = Deadline::after(kReplyWait);
  // Bounded by the deadline.
  while (!condition()) {
    if (deadline.expired()) FAIL("timed out waiting until " << what);
    std::this_thread::sleep_for(1ms);
  }
}

// TCP: the server has read everything `client` sent: the server's kernel acknowledged all of it (SIOCOUTQ 0,
// tcp(7)), so it reached the server's socket, and that socket's receive queue is empty again.
void waitUntilServerHasRead(const Client& client, std::uint16_t serverPort) {
  std::uint16_t clientPort = client.localPort();
  waitUntil(
      [&] {
        int unacknowledged = -1;
        REQUIRE(::ioctl(client.fd(), SIOCOUTQ, &unacknowledged) == 0);
        return unacknowledged == 0 && receiveQueue("/proc/net/tcp", serverPort, clientPort) == 0u;
      },
      "the server has read the request");
}

TEST_CASE("fuzz victim: an ordinary conversation gets the documented replies and trips no fault",
          "[live][fuzz-victim]") {
  Mode mode = anyMode();
  std::string fault = GENERATE(as<std::string>{}, "none", "crash-after-login", "hang-on-command", "leak-fd",
                               "stop-accepting");
  bool pipelined = GENERATE(false, true);
  CAPTURE(mode.describe(), fault, pipelined);
  auto victim = startVictim(mode, fault);
  std::size_t descriptors = openDescriptorCount(victim.pid());
  auto conversation = ordinaryConversation(fault != "crash-after-login");
  {
    Client client(victim);
    if (pipelined) {
      // All of it in one write (UDP: one datagram), all the replies back in one piece (UDP: one datagram).
      std::string requests;
      std::string replies;
      for (const Said& said : conversation) {
        requests += said.request(mode);
        replies += said.reply(mode);
      }
      CHECK(escapeForDisplay(client.ask(requests, replies.size()), 4096) == escapeForDisplay(replies, 4096));
    } else {
      for (const Said& said : conversation) CHECK(client.ask(said, mode) == expected(said, mode));
    }
    if (!mode.udp) client.expectClosedByServer();
  }
  // Nothing fired: the server lives, keeps no descriptor more than before, and serves a new client.
  CHECK(victim.running());
  CHECK(openDescriptorCount(victim.pid()) == descriptors);
  Client next(victim);
  CHECK(next.ask(kPing, mode) == expected(kPing, mode));
  stopVictimOrFail(victim);
}

TEST_CASE("fuzz victim: crash-after-login aborts on STAT from a logged-in client", "[live][fuzz-victim]") {
  Mode mode = anyMode();
  CAPTURE(mode.describe());
  auto victim = startVictim(mode, "crash-after-login");
  Client alice(victim);
  Client stranger(victim);
  CHECK(alice.ask(kStatLoggedOut, mode) == expected(kStatLoggedOut, mode));
  CHECK(alice.ask(kLogin, mode) == expected(kLogin, mode));
  // The login is alice's (her connection, over UDP her address): another client's STAT is answered.
  CHECK(stranger.ask(kStatLoggedOut, mode) == expected(kStatLoggedOut, mode));
  alice.send(kStatTwoKeys.request(mode));
  auto status = victim.process.wait(Deadline::after(kReplyWait));
  REQUIRE(status);
  INFO(status->describe());
  CHECK_FALSE(status->exited);
  CHECK(status->signal == SIGABRT);
}

TEST_CASE("fuzz victim: hang-on-command stops serving anyone after GET loop, and SIGTERM still ends it",
          "[live][fuzz-victim]") {
  Mode mode = anyMode();
  CAPTURE(mode.describe());
  auto victim = startVictim(mode, "hang-on-command");
  Client trigger(victim);
  Client bystander(victim);
  CHECK(bystander.ask(kPing, mode) == expected(kPing, mode));
  if (mode.udp) {
    // One socket, one queue in arrival order: with the server stopped, the trigger is queued first, then the
    // bystander's PING, so the server reads the trigger first.
    FrozenProcess frozen(victim.pid(), Deadline::after(kReplyWait));
    std::uint64_t queued = receiveQueue("/proc/net/udp", victim.port).value_or(0);
    trigger.send(kGetLoop.request(mode));
    waitUntil(
        [&, before = queued] {
          queued = receiveQueue("/proc/net/udp", victim.port).value_or(0);
          return queued > before;
        },
        "the trigger is queued");
    bystander.send(kPing.request(mode));
    waitUntil([&] { return receiveQueue("/proc/net/udp", victim.port).value_or(0) > queued; },
              "the PING is queued behind it");
  } else {
    trigger.send(kGetLoop.request(mode));
    waitUntilServerHasRead(trigger, victim.port);
    bystander.send(kPing.request(mode));
  }
  CHECK(escapeForDisplay(bystander.replyWithin(kSilenceWait)) == "");
  CHECK(victim.running());
  stopVictimOrFail(victim);
}

TEST_CASE("fuzz victim: leak-fd keeps one descriptor more per SET of the key leak", "[live][fuzz-victim]") {
  Mode mode = anyMode();
  CAPTURE(mode.describe());
  auto victim = startVictim(mode, "leak-fd");
  Client client(victim);
  // Answered, so accepted: the connection's own descriptor is in the count from here.
  CHECK(client.ask(kPing, mode) == expected(kPing, mode));
  std::size_t before = openDescriptorCount(victim.pid());
  for (std::size_t trigger = 1; trigger <= 3; ++trigger) {
    CAPTURE(trigger);
    // The reply comes after the leak, so the count is final when it arrives.
    CHECK(client.ask(kSetLeak, mode) == expected(kSetLeak, mode));
    CHECK(openDescriptorCount(victim.pid()) == before + trigger);
  }
  CHECK(client.ask(kGetLeakAfterSet, mode) == expected(kGetLeakAfterSet, mode));
  if (!mode.udp) {
    // The connection itself is closed as usual: its descriptor goes, the three leaked stay.
    CHECK(client.ask(kQuit, mode) == expected(kQuit, mode));
    client.expectClosedByServer();
    CHECK(openDescriptorCount(victim.pid()) == before + 3 - 1);
  }
  CHECK(victim.running());
  stopVictimOrFail(victim);
}

TEST_CASE("fuzz victim: stop-accepting answers QUIT now, then refuses new clients and stays alive",
          "[live][fuzz-victim]") {
  Mode mode = anyMode();
  CAPTURE(mode.describe());
  auto victim = startVictim(mode, "stop-accepting");
  Client earlier(victim);
  CHECK(earlier.ask(kPing, mode) == expected(kPing, mode));
  Client trigger(victim);
  CHECK(trigger.ask(kQuitNow, mode) == expected(kQuitNow, mode));
  if (mode.udp) {
    // The socket is closed: nobody is answered, whether known before or new.
    Client later(victim);
    later.send(kPing.request(mode));
    CHECK(escapeForDisplay(later.replyWithin(kSilenceWait)) == "");
    earlier.send(kPing.request(mode));
    CHECK(escapeForDisplay(earlier.replyWithin(kSilenceWait)) == "");
  } else {
    trigger.expectClosedByServer();
    // The listener was closed before the reply went out, so the refusal is certain by now.
    auto refused = net::connectEndpoint(victim.endpoint(), Deadline::after(kReplyWait));
    REQUIRE_FALSE(refused);
    INFO(refused.error().describe());
    CHECK(refused.error().error.code == ECONNREFUSED);
    // The connection open before the trigger is still served, to its end.
    CHECK(earlier.ask(kPing, mode) == expected(kPing, mode));
    CHECK(earlier.ask(kQuit, mode) == expected(kQuit, mode));
    earlier.expectClosedByServer();
  }
  CHECK(victim.running());
  stopVictimOrFail(victim);
}

TEST_CASE("fuzz victim: framing limits and the client's FIN over TCP", "[live][fuzz-victim]") {
  SECTION("a line of 4096 bytes is served, one of 4097 gets '-ERR line too long' and the connection closes") {
    Mode mode{"line", false};
    auto victim = startVictim(mode, "none");
    Client client(victim);
    std::string longest = "GET " + std::string(4092, 'k') + "\n";
    CHECK(client.ask(longest, 18) == "-ERR no such key\r\n");
    std::string tooLong = "GET " + std::string(4093, 'k') + "\n";
    CHECK(client.ask(tooLong, 20) == "-ERR line too long\r\n");
    client.expectClosedByServer();
    stopVictimOrFail(victim);
  }
  SECTION("a frame of length 0 gets an 0xEE 'bad length' frame and the connection closes") {
    Mode mode{"binary", false};
    auto victim = startVictim(mode, "none");
    Client client(victim);
    std::string reply = frame(0xEE, "bad length");
    CHECK(escapeForDisplay(client.ask("\0\0"s, reply.size())) == escapeForDisplay(reply));
    client.expectClosedByServer();
    stopVictimOrFail(victim);
  }
  SECTION("at the client's FIN the complete requests are answered, an incomplete last one dropped") {
    Mode mode = GENERATE(Mode{"line", false}, Mode{"binary", false});
    CAPTURE(mode.describe());
    auto victim = startVictim(mode, "none");
    Client client(victim);
    std::string partial = kPing.request(mode) + kPing.request(mode).substr(0, 2);
    ExchangeOptions options;
    options.halfClose = true;
    auto end = exchange(client.fd(), partial, Deadline::after(kReplyWait), options);
    INFO(end.describe());
    CHECK(end.eof);
    CHECK(escapeForDisplay(end.bytes) == expected(kPing, mode));
    stopVictimOrFail(victim);
  }
}

TEST_CASE("fuzz victim: bad usage exits 2 naming the problem", "[live][fuzz-victim]") {
  auto [argument, named] = GENERATE(table<std::string, std::string>({
      {"--fault=crash-on-split", "--fault=crash-on-split"},  // an unknown argument
      {"--fault", "crash-on-split"},
      {"--protocol", "json"},
      {"--port", "65536"},
  }));
  std::vector<std::string> argv{SOCKSPEC_FUZZ_VICTIM_BINARY, "--port", "0", argument};
  if (argument != named) argv.push_back(named);
  process::SpawnOptions options;
  options.captureStderr = true;
  auto child = process::ChildProcess::spawn(argv, options);
  REQUIRE(child);
  auto status = child->wait(Deadline::after(kReplyWait));
  REQUIRE(status);
  INFO(status->describe());
  CHECK(*status == process::ExitStatus{true, 2, 0});
  CHECK_THAT(child->readAllStderr(Deadline::after(kReplyWait)), Catch::Contains(named));
  CHECK(child->readAllStdout(Deadline::after(kReplyWait)).empty());
}

}  // namespace
}  // namespace sockspec
