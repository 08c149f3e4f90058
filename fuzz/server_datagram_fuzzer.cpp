// server_datagram: the reference server's datagram services over real loopback sockets. Each input is a
// client (fuzz/client_actions.h: datagrams of 0 to 65,507 bytes, waits, an early close) on a fresh socket
// connected to an in-process server: echo over UDP and over a unix datagram socket, chargen, daytime and
// discard over UDP (framed needs a connection, docs/server.md). The server must stay alive and:
//   - read every datagram sent (its datagramsIn counter moves by exactly that many);
//   - answer each one alone and in order: echo with the same bytes (RFC 862), chargen with 512 bytes of the
//     RFC 864 pattern starting one line further on for each datagram it has answered, daytime with one
//     RFC 867 line for the current time; discard with nothing (RFC 863);
//   - send nothing else, and count every reply it could not deliver (datagramsOut + repliesDropped);
//   - never stall: no progress for 2 s while a reply is owed fails the check.
// The client keeps at most kInFlightBytes of requests unanswered, so that no socket buffer on loopback can
// overflow: UDP may drop a datagram there silently (udp(7)), and a dropped datagram would be our doing.
#include <unistd.h>

#include <array>
#include <cstdint>
#include <ctime>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "base/deadline.h"
#include "chargen_pattern.h"
#include "check_failure.h"
#include "client_actions.h"
#include "daytime_text.h"
#include "descriptor_watch.h"
#include "net/endpoint_sockets.h"
#include "net/socket_ops.h"
#include "server_under_test.h"

namespace {

using namespace sockspec;
using namespace sockspec::fuzz;

constexpr std::string_view kTarget = "server_datagram";
// Requests unanswered at once: one datagram of any size, or several small ones up to this many bytes. The
// default socket receive buffer (net.core.rmem_default, 208 KiB) holds that with room for its overhead.
constexpr std::size_t kInFlightBytes = 32 * 1024;
constexpr std::size_t kInFlightDatagrams = 16;
// RFC 864 over UDP: the reference server always answers 512 characters (docs/server.md).
constexpr std::size_t kChargenReplySize = 512;
// A daytime reply must name the present: allow for a slow machine, not for a wrong clock.
constexpr std::time_t kDaytimeSlackSeconds = 60;

struct DatagramTargetSpec {
  DatagramService service;
  server::Service serverService;
  const char* name;
  bool unixSocket;
};
constexpr std::array<DatagramTargetSpec, kDatagramServiceCount> kSpecs{{
    {DatagramService::EchoUdp, server::Service::Echo, "echo", false},
    {DatagramService::EchoUnix, server::Service::Echo, "echo", true},
    {DatagramService::ChargenUdp, server::Service::Chargen, "chargen", false},
    {DatagramService::DaytimeUdp, server::Service::Daytime, "daytime", false},
    {DatagramService::DiscardUdp, server::Service::Discard, "discard", false},
}};

class DatagramTargets {
 public:
  DatagramTargets() {
    for (const auto& spec : kSpecs) {
      server::ServerConfig config;
      config.service = spec.serverService;
      std::string url = spec.unixSocket
                            ? fmt::format("unix-dgram://@sockspec-{}-{}-{}", kTarget, ::getpid(), spec.name)
                            : std::string("udp://127.0.0.1:0");
      auto endpoint = net::parseEndpoint(url);
      if (!endpoint) setupFailed(kTarget, net::formatEndpointError(url, endpoint.error()));
      config.listen = *endpoint;
      m_servers[static_cast<std::size_t>(spec.service)] = std::make_unique<ServerUnderTest>(kTarget, config);
    }
  }
  ServerUnderTest& pick(DatagramService service) { return *m_servers[static_cast<std::size_t>(service)]; }
  DescriptorWatch& descriptors() { return m_descriptors; }

 private:
  std::array<std::unique_ptr<ServerUnderTest>, kDatagramServiceCount> m_servers;
  DescriptorWatch m_descriptors{kTarget};
};

DatagramTargets* g_targets = nullptr;

// An empty string when `reply` is the daytime line for a moment within the slack of now, else why not.
std::string daytimeProblem(std::string_view reply) {
  std::string line(reply);
  std::tm parsed{};
  const char* end = ::strptime(line.c_str(), "%A, %B %d, %Y %H:%M:%S-UTC\r\n", &parsed);
  if (end == nullptr || *end != '\0') return fmt::format("'{}' is not a daytime line", line);
  std::time_t when = ::timegm(&parsed);
  if (server::daytimeText(when) != line) return fmt::format("'{}' is not written the way the server writes it", line);
  std::time_t now = std::time(nullptr);
  if (when < now - kDaytimeSlackSeconds || when > now + kDaytimeSlackSeconds) {
    return fmt::format("'{}' is {} s away from now", line, when - now);
  }
  return {};
}

class DatagramExchange {
 public:
  DatagramExchange(ServerUnderTest& server, DatagramService service)
      : m_server(server),
        m_service(service),
        m_inBefore(server.counters().datagramsIn),
        m_outBefore(server.counters().datagramsOut),
        m_droppedBefore(server.counters().repliesDropped) {
    auto connected = net::connectEndpoint(server.endpoint(), Deadline::after(kStallTimeout));
    if (!connected) fail(connected.error().describe());
    m_client = std::move(*connected);
  }

  // The input's first descriptor (socket(2) returns the lowest free one): where the leak check's window
  // starts (fuzz/descriptor_watch.h).
  int firstDescriptor() const { return m_client.get(); }

  void run(const std::vector<DatagramAction>& actions) {
    for (const auto& action : actions) {
      ++m_actionNumber;
      switch (action.kind) {
        case DatagramActionKind::Send: send(action); break;
        case DatagramActionKind::Wait: collectReplies(); break;
        case DatagramActionKind::Close:
          m_client.reset();  // replies still owed go to a closed socket: the server must shrug them off
          awaitServerRead();
          checkCounters(/*closedEarly=*/true);
          return;
      }
    }
    ++m_actionNumber;
    m_atEnd = true;
    collectReplies();
    awaitServerRead();
    m_server.serveReady();
    if (readReply() != StepOutcome::Idle) fail("a datagram arrived that no request asked for");
    checkCounters(/*closedEarly=*/false);
    m_client.reset();
  }

 private:
  struct Owed {
    std::vector<std::uint8_t> echo;  // echo: the request itself
    std::uint64_t serverIndex = 0;   // which datagram this is for the server (chargen's position)
  };

  void send(const DatagramAction& action) {
    static std::vector<std::uint8_t> datagram;  // reused: up to 65,507 bytes
    expandDatagram(action, datagram);
    // Neither the server's receive queue (requests it has not read) nor ours (replies we have not read) may
    // hold more than the budget.
    if (m_unreadCount > 0 && (m_unreadBytes + datagram.size() > kInFlightBytes || m_unreadCount >= kInFlightDatagrams)) {
      awaitServerRead();
    }
    if (!m_owed.empty() && (m_owedBytes + datagram.size() > kInFlightBytes || m_owed.size() >= kInFlightDatagrams)) {
      collectReplies();
    }
    m_server.serveUntil(
        [&] {
          auto sent = net::sendBytes(m_client.get(), datagram);
          if (sent) {
            if (*sent != datagram.size()) fail(fmt::format("send took {} of a {}-byte datagram", *sent, datagram.size()));
            return StepOutcome::Done;
          }
          int code = sent.error().code;
          // A unix datagram receiver whose queue is full says EAGAIN (unix(7)); the server must drain it.
          if (code != EAGAIN && code != EWOULDBLOCK) fail(fmt::format("{} ({} bytes)", sent.error().describe(), datagram.size()));
          return readReply();
        },
        "the server to read the client's datagrams");
    std::uint64_t serverIndex = m_inBefore + m_sent;
    ++m_sent;
    ++m_unreadCount;
    m_unreadBytes += datagram.size();
    if (m_service == DatagramService::DiscardUdp) return;
    Owed owed;
    owed.serverIndex = serverIndex;
    if (m_service == DatagramService::EchoUdp || m_service == DatagramService::EchoUnix) owed.echo = datagram;
    m_owedBytes += datagram.size();
    m_owed.push_back(std::move(owed));
  }

  void collectReplies() {
    m_server.serveUntil([&] { return m_owed.empty() ? StepOutcome::Done : readReply(); }, "the replies owed");
    m_owedBytes = 0;
  }

  // The server has read every datagram sent on this socket.
  void awaitServerRead() {
    m_server.serveUntil(
        [&] { return m_server.counters().datagramsIn >= m_inBefore + m_sent ? StepOutcome::Done : StepOutcome::Idle; },
        "the server to read the client's datagrams");
    m_unreadCount = 0;
    m_unreadBytes = 0;
  }

  // One non-blocking read; the datagram must be the reply owed to the oldest unanswered request.
  StepOutcome readReply() {
    static std::array<std::uint8_t, 65536> buffer;  // one byte more than the largest UDP payload
    auto received = net::recvMessageInto(m_client.get(), buffer);
    if (!received) {
      int code = received.error().code;
      if (code == EAGAIN || code == EWOULDBLOCK) return StepOutcome::Idle;
      fail(received.error().describe());
    }
    std::string_view reply(reinterpret_cast<const char*>(buffer.data()), received->size);
    if ((received->flags & MSG_TRUNC) != 0) fail(fmt::format("a reply larger than {} bytes", buffer.size()));
    ++m_replies;
    if (m_owed.empty()) fail(fmt::format("reply {} ({} bytes) answers no request", m_replies, reply.size()));
    Owed owed = std::move(m_owed.front());
    m_owed.pop_front();
    std::string problem = replyProblem(owed, reply);
    if (!problem.empty()) fail(fmt::format("reply {}: {}", m_replies, problem));
    return StepOutcome::Progressed;
  }

  std::string replyProblem(const Owed& owed, std::string_view reply) const {
    switch (m_service) {
      case DatagramService::EchoUdp:
      case DatagramService::EchoUnix: {
        std::string_view request(reinterpret_cast<const char*>(owed.echo.data()), owed.echo.size());
        if (reply == request) return {};
        std::size_t differ = 0;
        while (differ < reply.size() && differ < request.size() && reply[differ] == request[differ]) ++differ;
        return fmt::format("echo of a {}-byte datagram is {} bytes and differs from byte {}", request.size(),
                           reply.size(), differ);
      }
      case DatagramService::ChargenUdp: {
        std::string_view owedText =
            server::chargenBytes(owed.serverIndex * server::kChargenLineLength, kChargenReplySize);
        if (reply == owedText) return {};
        return fmt::format("chargen reply ({} bytes) is not the pattern from line {} ({} bytes)", reply.size(),
                           owed.serverIndex, owedText.size());
      }
      case DatagramService::DaytimeUdp:
        return daytimeProblem(reply);
      case DatagramService::DiscardUdp:
        return "discard answered";
    }
    return {};
  }

  // The server read exactly what was sent, and accounted for every reply: sent or counted as dropped.
  void checkCounters(bool closedEarly) {
    const auto& counters = m_server.counters();
    std::uint64_t in = counters.datagramsIn - m_inBefore;
    std::uint64_t out = counters.datagramsOut - m_outBefore;
    std::uint64_t dropped = counters.repliesDropped - m_droppedBefore;
    std::uint64_t owed = m_service == DatagramService::DiscardUdp ? 0 : m_sent;
    bool accounted = closedEarly ? out + dropped == owed : out == owed && dropped == 0;
    if (in != m_sent || !accounted) {
      fail(fmt::format("{} datagrams sent, the server read {}, answered {} and dropped {} replies", m_sent, in, out,
                       dropped));
    }
  }

  [[noreturn]] void fail(std::string_view message) const {
    std::string where = m_atEnd ? std::string("at the end of the input") : fmt::format("at action {}", m_actionNumber);
    checkFailed(kTarget, fmt::format("{} {} {}: {}", m_server.endpoint().toString(),
                                     kSpecs[static_cast<std::size_t>(m_service)].name, where, message));
  }

  ServerUnderTest& m_server;
  DatagramService m_service;
  std::uint64_t m_inBefore;
  std::uint64_t m_outBefore;
  std::uint64_t m_droppedBefore;
  net::UniqueFd m_client;
  std::deque<Owed> m_owed;
  std::size_t m_owedBytes = 0;
  std::size_t m_unreadCount = 0;  // sent since the server was last seen to have read everything
  std::size_t m_unreadBytes = 0;
  std::uint64_t m_sent = 0;
  std::uint64_t m_replies = 0;
  std::size_t m_actionNumber = 0;
  bool m_atEnd = false;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  g_targets = new DatagramTargets();  // lives as long as the process: libFuzzer never tears targets down
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  DatagramInput input = decodeDatagramInput({data, size});
  {
    DatagramExchange exchange(g_targets->pick(input.service), input.service);
    g_targets->descriptors().startInputAt(exchange.firstDescriptor());
    exchange.run(input.actions);
  }
  g_targets->descriptors().checkNoLeak("an input");
  return 0;
}
