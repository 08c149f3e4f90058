// sockspec-test-line-server: a small line server for the server profile's self-test
// (tests/live/server_profile_live_test.cpp). Each line "PING" (CR LF or LF) gets "+PONG\r\n", any other
// line "-ERR unknown command\r\n"; over TCP (one epoll loop, keep-alive, pipelining) or UDP (--udp: every
// line of a datagram answered in one reply datagram). --fault makes it wrong in one way each, so that the
// self-test can show the check that applies catches it:
//   crash-on-split      abort() when a line is completed by a later read than the one that began it
//   leak-fd-on-reset    a connection whose recv() fails with ECONNRESET is dropped without close()
//   close-wait          a connection whose client closed (recv() returns 0) is never closed
//   rst-on-close        reads one line only, answers it and closes, leaving the rest unread (the kernel
//                       then sends RST, tcp_close())
//   ignore-half-close   input that arrives with the client's FIN is dropped unanswered
//   backlog-1           listen(fd, 1)
//   leak-memory         every connection gets a 64 KiB buffer, written to (so resident), never freed
// and over UDP (--udp only):
//   reply-from-other-port  replies go out through a second socket, so from another port: a client that
//                          connect()ed drops them (udp(7))
//   crash-on-empty         abort() on an empty datagram ("0 bytes read: the client has gone")
//   trust-msg-trunc        reads into an 8 KiB buffer with MSG_TRUNC and takes the datagram's real length
//                          for the bytes it has: a longer datagram is read past the buffer (here caught by
//                          vector::at, so the uncaught std::out_of_range aborts it)
//   short-buffer           reads into a 4 KiB buffer: the kernel discards the rest of a longer datagram
//   drop-repeats           a request its client already sent within the last second is taken for a
//                          retransmission and not answered again (a reply cache keyed on the bytes)
// Test support only: plain POSIX, no harness code, so that the checks and this server share nothing.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

struct Options {
  int port = 0;
  bool udp = false;
  std::string fault;
  int backlog = 511;
};

struct Connection {
  std::string input;
  std::string output;
  bool partialRead = false;  // the input held part of a line after some earlier read
  bool closing = false;      // the client has closed: close once the output is flushed
  char* scratch = nullptr;   // leak-memory: the connection's buffer, which finish() forgets to free
};

// The replies to every complete line of `input`, which keeps what is left (a partial line).
std::string answerLines(std::string& input, std::size_t maxLines = SIZE_MAX) {
  std::string replies;
  std::size_t lines = 0;
  for (std::size_t end = input.find('\n'); end != std::string::npos && lines < maxLines;
       end = input.find('\n')) {
    std::string line = input.substr(0, end);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    replies += line == "PING" ? "+PONG\r\n" : "-ERR unknown command\r\n";
    input.erase(0, end + 1);
    ++lines;
  }
  return replies;
}

int die(const char* what) {
  std::fprintf(stderr, "line-server: %s: %s\n", what, std::strerror(errno));
  return 1;
}

// The bytes a UDP fault reads a datagram into: a correct server's buffer holds the largest datagram.
std::size_t udpBufferSize(const std::string& fault) {
  if (fault == "short-buffer") return 4096;
  if (fault == "trust-msg-trunc") return 8192;
  return 70000;
}

// drop-repeats: true when `peer` sent `request` within the last second (then not answered again).
bool seenRecently(const sockaddr_storage& peer, socklen_t length, const std::string& request) {
  using Clock = std::chrono::steady_clock;
  static std::map<std::string, Clock::time_point> answered;  // grows per client and request: test only
  std::string key(reinterpret_cast<const char*>(&peer), length);
  key += request;
  auto now = Clock::now();
  auto [at, added] = answered.try_emplace(key, now);
  if (!added && now - at->second < std::chrono::seconds(1)) return true;
  at->second = now;
  return false;
}

int serveUdp(const Options& options) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return die("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(options.port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) return die("bind");
  int replyFd = fd;
  if (options.fault == "reply-from-other-port") {
    // Unbound: the first sendto() binds it to an ephemeral port.
    replyFd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (replyFd < 0) return die("socket");
  }
  const bool trustMsgTrunc = options.fault == "trust-msg-trunc";
  std::vector<char> buffer(udpBufferSize(options.fault));
  for (;;) {
    sockaddr_storage peer{};
    socklen_t length = sizeof(peer);
    ssize_t got = ::recvfrom(fd, buffer.data(), buffer.size(), trustMsgTrunc ? MSG_TRUNC : 0,
                             reinterpret_cast<sockaddr*>(&peer), &length);
    if (got < 0) {
      if (errno == EINTR) continue;
      return die("recvfrom");
    }
    if (got == 0 && options.fault == "crash-on-empty") std::abort();
    std::string input;
    if (trustMsgTrunc) {
      for (ssize_t i = 0; i < got; ++i) input += buffer.at(static_cast<std::size_t>(i));
    } else {
      input.assign(buffer.data(), static_cast<std::size_t>(got));
    }
    if (options.fault == "drop-repeats" && seenRecently(peer, length, input)) continue;
    std::string replies = answerLines(input);
    if (!replies.empty()) {
      (void)::sendto(replyFd, replies.data(), replies.size(), 0, reinterpret_cast<sockaddr*>(&peer), length);
    }
  }
}

class TcpServer {
 public:
  explicit TcpServer(Options options) : m_options(std::move(options)) {}

  int run() {
    m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (m_listener < 0) return die("socket");
    int on = 1;
    (void)::setsockopt(m_listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(m_options.port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) return die("bind");
    int backlog = m_options.fault == "backlog-1" ? 1 : m_options.backlog;
    if (::listen(m_listener, backlog) != 0) return die("listen");
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    if (m_epoll < 0) return die("epoll_create1");
    watch(m_listener, EPOLLIN);
    std::vector<epoll_event> events(256);
    for (;;) {
      int ready = ::epoll_wait(m_epoll, events.data(), static_cast<int>(events.size()), -1);
      if (ready < 0) {
        if (errno == EINTR) continue;
        return die("epoll_wait");
      }
      for (int i = 0; i < ready; ++i) {
        int fd = events[static_cast<std::size_t>(i)].data.fd;
        if (fd == m_listener)
          acceptAll();
        else if (m_connections.count(fd) != 0)
          serve(fd, events[static_cast<std::size_t>(i)].events);
      }
    }
  }

 private:
  void watch(int fd, std::uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    (void)::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event);
  }

  void modify(int fd, std::uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    (void)::epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &event);
  }

  void acceptAll() {
    for (;;) {
      int fd = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) return;
      Connection connection;
      if (m_options.fault == "leak-memory") {
        // 64 KiB, a plausible read buffer, and the size that the hygiene checks' ~1000 connections turn into
        // 62.5 MiB, 7.8 times their 8 MiB tolerance (server_hygiene_checks.cpp). Written so that its pages
        // are resident, which is what RSS counts.
        constexpr std::size_t kLeak = 64 * 1024;
        connection.scratch = new char[kLeak];
        std::memset(connection.scratch, 1, kLeak);
      }
      m_connections[fd] = connection;
      watch(fd, EPOLLIN);
    }
  }

  void finish(int fd) {
    (void)::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
    m_connections.erase(fd);
    ::close(fd);
  }

  // Dropped from the loop but never closed: the descriptor and the socket stay (the faults' leak).
  void forget(int fd) {
    (void)::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
    m_connections.erase(fd);
  }

  void serve(int fd, std::uint32_t events) {
    Connection& connection = m_connections[fd];
    if ((events & EPOLLOUT) != 0 && !flush(fd, connection)) return;
    if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0) return;
    if (m_options.fault == "rst-on-close") {
      serveOneLineAndClose(fd);
      return;
    }
    bool ended = false;
    char buffer[4096];
    // Reads everything there is now.
    for (;;) {
      ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
      if (got > 0) {
        std::string_view chunk(buffer, static_cast<std::size_t>(got));
        if (m_options.fault == "crash-on-split" && connection.partialRead &&
            chunk.find('\n') != std::string_view::npos) {
          std::abort();  // "a request always comes in one read"
        }
        connection.input.append(chunk);
        connection.partialRead =
            !connection.input.empty() && connection.input.find('\n') == std::string::npos;
        continue;
      }
      if (got == 0) {
        ended = true;
        break;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == ECONNRESET && m_options.fault == "leak-fd-on-reset")
        forget(fd);
      else
        finish(fd);
      return;
    }
    if (ended && m_options.fault == "ignore-half-close") {
      finish(fd);  // what came with the FIN is dropped unanswered
      return;
    }
    connection.output += answerLines(connection.input);
    if (ended && m_options.fault == "close-wait") {
      (void)flush(fd, connection);
      forget(fd);
      return;
    }
    connection.closing = ended;
    (void)flush(fd, connection);
  }

  // Sends what is owed; false when the connection was finished.
  bool flush(int fd, Connection& connection) {
    while (!connection.output.empty()) {
      ssize_t sent = ::send(fd, connection.output.data(), connection.output.size(), MSG_NOSIGNAL);
      if (sent > 0) {
        connection.output.erase(0, static_cast<std::size_t>(sent));
        continue;
      }
      if (sent < 0 && errno == EINTR) continue;
      if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        modify(fd, EPOLLIN | EPOLLOUT);
        return true;
      }
      if (sent < 0 && errno == ECONNRESET && m_options.fault == "leak-fd-on-reset")
        forget(fd);
      else
        finish(fd);
      return false;
    }
    if (connection.closing) {
      finish(fd);
      return false;
    }
    modify(fd, EPOLLIN);
    return true;
  }

  // rst-on-close: one line read byte by byte, its reply, then close() with whatever follows unread.
  void serveOneLineAndClose(int fd) {
    std::string& input = m_connections[fd].input;
    char byte = 0;
    while (input.find('\n') == std::string::npos) {
      ssize_t got = ::recv(fd, &byte, 1, 0);
      if (got == 1) {
        input += byte;
        continue;
      }
      if (got < 0 && errno == EINTR) continue;
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // the rest of the line comes later
      finish(fd);
      return;
    }
    std::string reply = answerLines(input, 1);
    (void)::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
    finish(fd);
  }

  Options m_options;
  int m_listener = -1;
  int m_epoll = -1;
  std::map<int, Connection> m_connections;
};

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "line-server: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--port")
      options.port = std::atoi(value().c_str());
    else if (arg == "--udp")
      options.udp = true;
    else if (arg == "--fault")
      options.fault = value();
    else if (arg == "--backlog")
      options.backlog = std::atoi(value().c_str());
    else {
      std::fprintf(stderr, "usage: line-server --port N [--udp] [--fault NAME] [--backlog N]\n");
      return 2;
    }
  }
  struct Fault {
    const char* name;
    bool udp;  // a fault of the UDP server (else of the TCP one)
  };
  static const Fault kFaults[] = {
      {"crash-on-split", false}, {"leak-fd-on-reset", false},     {"close-wait", false},
      {"rst-on-close", false},   {"ignore-half-close", false},    {"backlog-1", false},
      {"leak-memory", false},    {"reply-from-other-port", true}, {"crash-on-empty", true},
      {"trust-msg-trunc", true}, {"short-buffer", true},          {"drop-repeats", true},
  };
  if (!options.fault.empty()) {
    const Fault* fault = nullptr;
    for (const Fault& candidate : kFaults) {
      if (options.fault == candidate.name) fault = &candidate;
    }
    if (fault == nullptr) {
      std::fprintf(stderr, "line-server: unknown --fault %s\n", options.fault.c_str());
      return 2;
    }
    if (fault->udp != options.udp) {
      std::fprintf(stderr, "line-server: --fault %s is a fault of the %s server\n", fault->name,
                   fault->udp ? "UDP (--udp)" : "TCP");
      return 2;
    }
  }
  if (options.udp) return serveUdp(options);
  return TcpServer(options).run();
}
