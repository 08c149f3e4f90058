// sockspec-test-fuzz-victim: the faulty server that `sockspec fuzz`'s protocol-agnostic black-box mode must
// find bugs in (pinned by tests/live/fuzz_victim_live_test.cpp). A small key-value service over TCP (one
// epoll loop, keep-alive, pipelining) or UDP (--udp: all replies to one datagram in one reply datagram, the
// session keyed by the sender, 256 sessions at most, the least recently used forgotten first).
//   --protocol line (default): lines ending in "\n" (a "\r" before it is dropped), at most 4096 bytes before
//   the "\n", else "-ERR line too long" and the connection closed (UDP: the rest of the datagram dropped).
//   Every reply ends in "\r\n":
//     PING               +PONG
//     LOGIN <name>       +OK welcome <name> (name of 1-32 bytes, else -ERR bad name)
//     SET <key> <value>  +OK (over 256 bytes: -ERR too long; a new key past 1024: -ERR store full)
//     GET <key>          $<value>, or -ERR no such key
//     STAT               +keys <n> once logged in, else -ERR login first
//     QUIT [arg]         +BYE, then the connection is closed
//     anything else      -ERR unknown command
//   --protocol binary: frames [u16 big-endian length L][u8 type][L-1 bytes payload], 1 <= L <= 1024 (else a
//   0xEE "bad length" frame and the connection closed, UDP: the rest of the datagram dropped); replies alike,
//   errors as 0xEE with the line protocol's text:
//     1 PING -> 0x81   2 LOGIN name -> 0x82 "welcome"   3 SET key\0value -> 0x83 (no \0: 0xEE "bad request")
//     4 GET key -> 0x84 value   5 STAT -> 0x85 the key count as a u32 big-endian   6 QUIT -> 0x86, closed
//     any other type -> 0xEE "unknown type"
// An incomplete last request when the client closes (or at the end of a datagram) is dropped unanswered.
// A UDP datagram whose replies would outgrow one datagram (65507 bytes) is answered up to that point only.
// --fault makes it wrong in one way, reachable only through its trigger:
//   crash-after-login  STAT on a connection (UDP: from a sender) that is logged in calls abort()
//   overflow-after-login  the same STAT reads one byte past a heap block: built with -fsanitize=address
//                      (sockspec-test-fuzz-victim-asan), a heap-buffer-overflow report and exit; plain, unnoticed
//   hang-on-command    GET of the key "loop" sleeps until SIGTERM/SIGINT: nothing is read or accepted again
//   leak-fd            every SET of the key "leak" opens /dev/null and never closes it (still answered)
//   stop-accepting     QUIT with the argument "now" (binary: payload "now") is answered, then the listening
//                      socket is closed (UDP: the socket): new connections are refused, open ones served
// Usage: --port N [--udp] [--protocol line|binary] [--fault NAME] [--bind IPV4 (default 127.0.0.1)]. The only
// stdout is "listening on ADDR:PORT" once it serves (--port 0: the port the kernel chose). SIGTERM or SIGINT:
// exit 0 within 200 ms, hung or not. Bad usage: exit 2; a failed set-up call: exit 1. Single-threaded, one
// poll/epoll loop, non-blocking sockets, no children.
// Test support only: plain POSIX, no harness code, so that the fuzzer and its victim share nothing.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace {

constexpr std::size_t kMaxLine = 4096;   // bytes before the "\n"
constexpr std::size_t kMaxFrame = 1024;  // a frame's length field
constexpr std::size_t kMaxName = 32;
constexpr std::size_t kMaxKeyOrValue = 256;
constexpr std::size_t kMaxKeys = 1024;
constexpr std::size_t kMaxUdpSessions = 256;
constexpr std::size_t kMaxDatagram = 65507;                 // the largest UDP payload over IPv4 (udp(7))
constexpr std::size_t kLargestReply = kMaxKeyOrValue + 16;  // a value and its framing
constexpr int kTickMs = 200;  // the longest a wait lasts before the stop flag is looked at again

enum class Protocol { Line, Binary };
enum class Fault { None, CrashAfterLogin, OverflowAfterLogin, HangOnCommand, LeakFd, StopAccepting };

struct FaultName {
  const char* name;
  Fault fault;
};
constexpr FaultName kFaults[] = {
    {"none", Fault::None},
    {"crash-after-login", Fault::CrashAfterLogin},
    {"overflow-after-login", Fault::OverflowAfterLogin},
    {"hang-on-command", Fault::HangOnCommand},
    {"leak-fd", Fault::LeakFd},
    {"stop-accepting", Fault::StopAccepting},
};

struct Options {
  std::uint16_t port = 0;
  bool udp = false;
  Protocol protocol = Protocol::Line;
  Fault fault = Fault::None;
  in_addr address{htonl(INADDR_LOOPBACK)};
};

// Set by SIGTERM/SIGINT. Every wait is bounded by kTickMs, so a signal that lands between the check and the
// wait still ends the process promptly.
volatile sig_atomic_t g_stop = 0;

void onStopSignal(int) {
  g_stop = 1;
}

// One byte read past the end of an 8-byte heap block (the index is volatile, so no compiler sees it coming):
// what AddressSanitizer reports as a heap-buffer-overflow, and a plain build reads from the block's padding.
volatile std::size_t g_blockSize = 8;
int readPastHeapBlock() {
  std::size_t size = g_blockSize;
  auto* block = new char[size]();
  int past = static_cast<volatile char*>(block)[size];
  delete[] block;
  return past;
}

int die(const char* what) {
  std::fprintf(stderr, "fuzz-victim: %s: %s\n", what, std::strerror(errno));
  return 1;
}

enum class Verb { Ping, Login, Set, Get, Stat, Quit, Malformed, Unknown };

struct Request {
  Request(Verb verb_ = Verb::Unknown, std::string first_ = {}, std::string second_ = {})
      : verb(verb_), first(std::move(first_)), second(std::move(second_)) {}
  Verb verb;
  std::string first;   // LOGIN's name, SET's and GET's key, QUIT's argument
  std::string second;  // SET's value
};

enum class ReplyKind { Pong, Welcome, Stored, Value, Keys, Bye, Error, Unknown };

struct Reply {
  Reply(ReplyKind kind_, std::string text_ = {}, std::size_t count_ = 0)
      : kind(kind_), text(std::move(text_)), count(count_) {}
  ReplyKind kind;
  std::string text;   // Welcome: the name; Value: the value; Error: what is wrong
  std::size_t count;  // Keys
};

struct Session {
  bool loggedIn = false;
};

// hang-on-command: sleeps in bounded steps until told to stop, reading and accepting nothing meanwhile.
[[noreturn]] void hangUntilStopped() {
  const timespec tick{0, kTickMs * 1'000'000L};
  while (g_stop == 0) ::nanosleep(&tick, nullptr);
  std::exit(0);
}

// The service behind both protocols: the store, the sessions' rules and the faults.
class Service {
 public:
  explicit Service(Fault fault) : m_fault(fault) {}

  Reply handle(const Request& request, Session& session) {
    switch (request.verb) {
      case Verb::Ping:
        return {ReplyKind::Pong};
      case Verb::Login:
        if (request.first.empty() || request.first.size() > kMaxName) return error("bad name");
        session.loggedIn = true;
        return {ReplyKind::Welcome, request.first};
      case Verb::Set:
        return set(request.first, request.second);
      case Verb::Get: {
        if (m_fault == Fault::HangOnCommand && request.first == "loop") hangUntilStopped();
        auto found = m_store.find(request.first);
        if (found == m_store.end()) return error("no such key");
        return {ReplyKind::Value, found->second};
      }
      case Verb::Stat:
        if (!session.loggedIn) return error("login first");
        if (m_fault == Fault::CrashAfterLogin) std::abort();
        if (m_fault == Fault::OverflowAfterLogin) (void)readPastHeapBlock();
        return {ReplyKind::Keys, {}, m_store.size()};
      case Verb::Quit:
        if (m_fault == Fault::StopAccepting && request.first == "now") m_stopRequested = true;
        return {ReplyKind::Bye};
      case Verb::Malformed:
        return error("bad request");
      case Verb::Unknown:
        break;
    }
    return {ReplyKind::Unknown};
  }

  // stop-accepting has fired: the transport closes its listening (UDP: its only) socket.
  bool stopRequested() const { return m_stopRequested; }

 private:
  static Reply error(std::string text) { return {ReplyKind::Error, std::move(text)}; }

  Reply set(const std::string& key, const std::string& value) {
    // The leak: a descriptor nobody keeps, so nobody closes it.
    if (m_fault == Fault::LeakFd && key == "leak") (void)::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (key.size() > kMaxKeyOrValue || value.size() > kMaxKeyOrValue) return error("too long");
    if (m_store.size() >= kMaxKeys && m_store.count(key) == 0) return error("store full");
    m_store[key] = value;
    return {ReplyKind::Stored};
  }

  Fault m_fault;
  std::map<std::string, std::string> m_store;
  bool m_stopRequested = false;
};

enum class Framing { Request, NeedMore, Broken };

struct Parsed {
  Parsed(Framing framing_, std::size_t consumed_ = 0, Request request_ = {})
      : framing(framing_), consumed(consumed_), request(std::move(request_)) {}
  Framing framing;
  std::size_t consumed;  // the bytes of the request, framing included
  Request request;
};

Request decodeLine(std::string_view line) {
  std::size_t space = line.find(' ');
  std::string_view verb = line.substr(0, space);
  std::optional<std::string_view> argument;
  if (space != std::string_view::npos) argument = line.substr(space + 1);
  if (verb == "PING" && !argument) return {Verb::Ping};
  if (verb == "LOGIN") return {Verb::Login, std::string(argument.value_or(""))};
  if (verb == "SET" && argument) {
    std::size_t split = argument->find(' ');
    if (split != std::string_view::npos) {
      return {Verb::Set, std::string(argument->substr(0, split)), std::string(argument->substr(split + 1))};
    }
  }
  if (verb == "GET" && argument) return {Verb::Get, std::string(*argument)};
  if (verb == "STAT" && !argument) return {Verb::Stat};
  if (verb == "QUIT") return {Verb::Quit, std::string(argument.value_or(""))};
  return {Verb::Unknown};
}

Parsed parseLine(std::string_view input) {
  std::size_t end = input.find('\n');
  // Too long is known before the "\n" comes, which keeps a connection's input bounded.
  if (end == std::string_view::npos) return {input.size() > kMaxLine ? Framing::Broken : Framing::NeedMore};
  if (end > kMaxLine) return {Framing::Broken};
  std::string_view line = input.substr(0, end);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return {Framing::Request, end + 1, decodeLine(line)};
}

std::string encodeLine(const Reply& reply) {
  switch (reply.kind) {
    case ReplyKind::Pong:
      return "+PONG\r\n";
    case ReplyKind::Welcome:
      return "+OK welcome " + reply.text + "\r\n";
    case ReplyKind::Stored:
      return "+OK\r\n";
    case ReplyKind::Value:
      return "$" + reply.text + "\r\n";
    case ReplyKind::Keys:
      return "+keys " + std::to_string(reply.count) + "\r\n";
    case ReplyKind::Bye:
      return "+BYE\r\n";
    case ReplyKind::Error:
      return "-ERR " + reply.text + "\r\n";
    case ReplyKind::Unknown:
      break;
  }
  return "-ERR unknown command\r\n";
}

Request decodeFrame(std::uint8_t type, std::string_view payload) {
  switch (type) {
    case 1:
      return {Verb::Ping};
    case 2:
      return {Verb::Login, std::string(payload)};
    case 3: {
      std::size_t split = payload.find('\0');
      if (split == std::string_view::npos) return {Verb::Malformed};
      return {Verb::Set, std::string(payload.substr(0, split)), std::string(payload.substr(split + 1))};
    }
    case 4:
      return {Verb::Get, std::string(payload)};
    case 5:
      return {Verb::Stat};
    case 6:
      return {Verb::Quit, std::string(payload)};
    default:
      return {Verb::Unknown};
  }
}

Parsed parseFrame(std::string_view input) {
  if (input.size() < 2) return {Framing::NeedMore};
  std::size_t length = static_cast<std::size_t>(static_cast<unsigned char>(input[0])) << 8 |
                       static_cast<unsigned char>(input[1]);
  if (length < 1 || length > kMaxFrame) return {Framing::Broken};
  if (input.size() < 2 + length) return {Framing::NeedMore};
  auto type = static_cast<std::uint8_t>(input[2]);
  return {Framing::Request, 2 + length, decodeFrame(type, input.substr(3, length - 1))};
}

std::string frame(std::uint8_t type, std::string_view payload) {
  std::size_t length = payload.size() + 1;
  std::string bytes{static_cast<char>(length >> 8), static_cast<char>(length & 0xff),
                    static_cast<char>(type)};
  return bytes.append(payload);
}

std::string encodeFrame(const Reply& reply) {
  switch (reply.kind) {
    case ReplyKind::Pong:
      return frame(0x81, "");
    case ReplyKind::Welcome:
      return frame(0x82, "welcome");
    case ReplyKind::Stored:
      return frame(0x83, "");
    case ReplyKind::Value:
      return frame(0x84, reply.text);
    case ReplyKind::Keys: {
      auto count = static_cast<std::uint32_t>(reply.count);
      std::string bigEndian{static_cast<char>(count >> 24), static_cast<char>((count >> 16) & 0xff),
                            static_cast<char>((count >> 8) & 0xff), static_cast<char>(count & 0xff)};
      return frame(0x85, bigEndian);
    }
    case ReplyKind::Bye:
      return frame(0x86, "");
    case ReplyKind::Error:
      return frame(0xEE, reply.text);
    case ReplyKind::Unknown:
      break;
  }
  return frame(0xEE, "unknown type");
}

struct Codec {
  Parsed (*parse)(std::string_view input);
  std::string (*encode)(const Reply& reply);
  std::string brokenReply;  // the answer to input that cannot be framed, before the connection closes
};

Codec codecFor(Protocol protocol) {
  if (protocol == Protocol::Binary) return {parseFrame, encodeFrame, frame(0xEE, "bad length")};
  return {parseLine, encodeLine, "-ERR line too long\r\n"};
}

enum class After { KeepOpen, Close };

// Frames the input and runs it through the service; shared by the TCP and UDP servers.
class Responder {
 public:
  Responder(Protocol protocol, Fault fault) : m_codec(codecFor(protocol)), m_service(fault) {}

  // Answers the complete requests at the front of `input`, removing them, until it holds no complete request,
  // a QUIT or unframable input ends the conversation (then `input` is emptied), or the next reply might take
  // `output` past `outputLimit` (then too).
  After answer(std::string& input, Session& session, std::string& output,
               std::size_t outputLimit = SIZE_MAX) {
    std::size_t offset = 0;
    After after = After::KeepOpen;
    // Bounded: every pass consumes a request or leaves the loop.
    for (;;) {
      if (outputLimit - output.size() < kLargestReply) {
        after = After::Close;
        break;
      }
      Parsed parsed = m_codec.parse(std::string_view(input).substr(offset));
      if (parsed.framing == Framing::NeedMore) break;
      if (parsed.framing == Framing::Broken) {
        output += m_codec.brokenReply;
        after = After::Close;
        break;
      }
      offset += parsed.consumed;
      Reply reply = m_service.handle(parsed.request, session);
      output += m_codec.encode(reply);
      if (reply.kind == ReplyKind::Bye) {
        after = After::Close;
        break;
      }
    }
    if (after == After::Close)
      input.clear();
    else
      input.erase(0, offset);
    return after;
  }

  bool stopRequested() const { return m_service.stopRequested(); }

 private:
  Codec m_codec;
  Service m_service;
};

bool bindTo(int fd, const Options& options) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(options.port);
  address.sin_addr = options.address;
  return ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
}

// Prints the one line stdout ever gets: the address `fd` is bound to (the port the kernel chose for 0).
bool announce(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof(address);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return false;
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &address.sin_addr, text, sizeof(text));
  std::printf("listening on %s:%u\n", text, static_cast<unsigned>(ntohs(address.sin_port)));
  std::fflush(stdout);
  return true;
}

class UdpServer {
 public:
  explicit UdpServer(const Options& options)
      : m_options(options), m_responder(options.protocol, options.fault) {}

  ~UdpServer() {
    if (m_fd >= 0) ::close(m_fd);
  }

  int run() {
    m_fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (m_fd < 0) return die("socket");
    if (!bindTo(m_fd, m_options)) return die("bind");
    if (!announce(m_fd)) return die("getsockname");
    // Bounded: each wait lasts kTickMs at most; with the socket closed (stop-accepting) it only waits.
    while (g_stop == 0) {
      pollfd entry{m_fd, POLLIN, 0};
      int ready = ::poll(&entry, m_fd >= 0 ? 1 : 0, kTickMs);
      if (ready < 0 && errno != EINTR) return die("poll");
      if (ready > 0 && !receiveAll()) return die("recvfrom");
    }
    return 0;
  }

 private:
  struct PeerKey {
    std::uint32_t address;
    std::uint16_t port;
    auto operator<=>(const PeerKey&) const = default;
  };
  struct PeerSession {
    Session session;
    std::uint64_t lastUsed = 0;
  };

  // Answers the datagrams queued now; false on an unexpected recvfrom error.
  bool receiveAll() {
    // Bounded: ends at EAGAIN, which the non-blocking socket returns once its queue is empty.
    while (m_fd >= 0) {
      sockaddr_in peer{};
      socklen_t length = sizeof(peer);
      ssize_t got =
          ::recvfrom(m_fd, m_buffer, sizeof(m_buffer), 0, reinterpret_cast<sockaddr*>(&peer), &length);
      if (got < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
      std::string input(m_buffer, static_cast<std::size_t>(got));
      std::string output;
      (void)m_responder.answer(input, sessionOf(peer), output, kMaxDatagram);
      if (!output.empty()) {
        // A lost reply is the client's to notice, as with any datagram.
        (void)::sendto(m_fd, output.data(), output.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&peer),
                       length);
      }
      if (m_responder.stopRequested()) {
        ::close(m_fd);  // datagrams queued behind the trigger go with it, unread
        m_fd = -1;
      }
    }
    return true;
  }

  Session& sessionOf(const sockaddr_in& peer) {
    PeerKey key{peer.sin_addr.s_addr, peer.sin_port};
    auto found = m_sessions.find(key);
    if (found == m_sessions.end()) {
      if (m_sessions.size() >= kMaxUdpSessions) {
        auto oldest = m_sessions.begin();
        for (auto at = m_sessions.begin(); at != m_sessions.end(); ++at) {
          if (at->second.lastUsed < oldest->second.lastUsed) oldest = at;
        }
        m_sessions.erase(oldest);
      }
      found = m_sessions.emplace(key, PeerSession{}).first;
    }
    found->second.lastUsed = ++m_uses;
    return found->second.session;
  }

  Options m_options;
  Responder m_responder;
  int m_fd = -1;
  std::map<PeerKey, PeerSession> m_sessions;
  std::uint64_t m_uses = 0;
  char m_buffer[65536];
};

class TcpServer {
 public:
  explicit TcpServer(const Options& options)
      : m_options(options), m_responder(options.protocol, options.fault) {}

  ~TcpServer() {
    for (auto& [fd, connection] : m_connections) ::close(fd);
    if (m_listener >= 0) ::close(m_listener);
    if (m_epoll >= 0) ::close(m_epoll);
  }

  int run() {
    m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (m_listener < 0) return die("socket");
    int on = 1;
    if (::setsockopt(m_listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) return die("setsockopt");
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    if (m_epoll < 0) return die("epoll_create1");
    if (!bindTo(m_listener, m_options)) return die("bind");
    // listen() before the announcement, so that a client that has read it can connect.
    if (::listen(m_listener, 64) != 0) return die("listen");
    if (!announce(m_listener)) return die("getsockname");
    if (!watch(m_listener, EPOLLIN, EPOLL_CTL_ADD)) return die("epoll_ctl");
    epoll_event events[64];
    // Bounded: each wait lasts kTickMs at most.
    while (g_stop == 0) {
      int ready = ::epoll_wait(m_epoll, events, 64, kTickMs);
      if (ready < 0) {
        if (errno == EINTR) continue;
        return die("epoll_wait");
      }
      for (int i = 0; i < ready; ++i) {
        int fd = events[i].data.fd;
        if (fd == m_listener)
          acceptAll();
        else if (m_connections.count(fd) != 0)
          serve(fd, events[i].events);
      }
    }
    return 0;
  }

 private:
  struct Connection {
    std::string input;
    std::string output;
    Session session;
    bool closing = false;  // close once the output is sent
  };

  bool watch(int fd, std::uint32_t events, int operation) {
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    return ::epoll_ctl(m_epoll, operation, fd, &event) == 0;
  }

  void acceptAll() {
    // Bounded: ends at EAGAIN once the backlog (64) is drained, or at any other error (EMFILE, ...), which
    // leaves the rest queued for the next wakeup.
    while (m_listener >= 0) {
      int fd = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) return;
      if (!watch(fd, EPOLLIN, EPOLL_CTL_ADD)) {
        ::close(fd);  // out of epoll watches (ENOSPC): a connection this loop cannot serve
        continue;
      }
      m_connections[fd] = Connection{};
    }
  }

  void finish(int fd) {
    (void)::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
    m_connections.erase(fd);
    ::close(fd);
  }

  void stopAccepting() {
    (void)::epoll_ctl(m_epoll, EPOLL_CTL_DEL, m_listener, nullptr);
    ::close(m_listener);
    m_listener = -1;
  }

  void serve(int fd, std::uint32_t events) {
    Connection& connection = m_connections[fd];
    if (!connection.output.empty()) {
      // Waiting for EPOLLOUT: nothing more is read until the client has taken its replies.
      if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) (void)flush(fd, connection);
      return;
    }
    char buffer[4096];
    // Bounded: ends at EAGAIN, the end of the stream, an error, or replies the client is slow to take.
    for (;;) {
      ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
      if (got > 0) {
        connection.input.append(buffer, static_cast<std::size_t>(got));
        if (m_responder.answer(connection.input, connection.session, connection.output) == After::Close)
          connection.closing = true;
        // Closed before the reply goes out, so that a client that has the reply finds the port closed.
        if (m_responder.stopRequested() && m_listener >= 0) stopAccepting();
        if (!flush(fd, connection) || !connection.output.empty()) return;
        continue;
      }
      if (got == 0) {
        // The complete requests were answered as they came; an incomplete last one is dropped.
        connection.input.clear();
        connection.closing = true;
        (void)flush(fd, connection);
        return;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) finish(fd);
      return;
    }
  }

  // Sends what is owed; false when that finished the connection (all sent and closing, or a send error).
  bool flush(int fd, Connection& connection) {
    while (!connection.output.empty()) {
      ssize_t sent = ::send(fd, connection.output.data(), connection.output.size(), MSG_NOSIGNAL);
      if (sent > 0) {
        connection.output.erase(0, static_cast<std::size_t>(sent));
        continue;
      }
      if (sent < 0 && errno == EINTR) continue;
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        (void)watch(fd, EPOLLOUT, EPOLL_CTL_MOD);  // MOD of a watched descriptor cannot fail
        return true;
      }
      finish(fd);
      return false;
    }
    if (connection.closing) {
      finish(fd);
      return false;
    }
    (void)watch(fd, EPOLLIN, EPOLL_CTL_MOD);
    return true;
  }

  Options m_options;
  Responder m_responder;
  int m_listener = -1;
  int m_epoll = -1;
  std::map<int, Connection> m_connections;
};

[[noreturn]] void usage(const std::string& problem) {
  std::fprintf(stderr,
               "fuzz-victim: %s\nusage: sockspec-test-fuzz-victim --port N [--udp] [--protocol line|binary] "
               "[--fault NAME] [--bind IPV4]\n",
               problem.c_str());
  std::exit(2);
}

std::uint16_t parsePort(const std::string& text) {
  if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos)
    usage("--port: expected 0-65535, got '" + text + "'");
  unsigned long value = std::stoul(text);
  if (value > 65535) usage("--port: expected 0-65535, got '" + text + "'");
  return static_cast<std::uint16_t>(value);
}

Options parseOptions(int argc, char** argv) {
  Options options;
  bool havePort = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--port") {
      options.port = parsePort(value());
      havePort = true;
    } else if (arg == "--udp") {
      options.udp = true;
    } else if (arg == "--protocol") {
      std::string name = value();
      if (name == "line")
        options.protocol = Protocol::Line;
      else if (name == "binary")
        options.protocol = Protocol::Binary;
      else
        usage("unknown --protocol " + name);
    } else if (arg == "--fault") {
      std::string name = value();
      const FaultName* found = nullptr;
      for (const FaultName& candidate : kFaults) {
        if (name == candidate.name) found = &candidate;
      }
      if (found == nullptr) usage("unknown --fault " + name);
      options.fault = found->fault;
    } else if (arg == "--bind") {
      std::string address = value();
      if (::inet_pton(AF_INET, address.c_str(), &options.address) != 1)
        usage("--bind: not an IPv4 address: " + address);
    } else {
      usage("unknown argument " + arg);
    }
  }
  if (!havePort) usage("--port is required");
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parseOptions(argc, argv);
  struct sigaction stop {};
  stop.sa_handler = onStopSignal;  // no SA_RESTART: a wait in progress returns EINTR at once
  sigemptyset(&stop.sa_mask);
  if (::sigaction(SIGTERM, &stop, nullptr) != 0 || ::sigaction(SIGINT, &stop, nullptr) != 0)
    return die("sigaction");
  if (options.udp) return UdpServer(options).run();
  return TcpServer(options).run();
}
