/* sockspec-test-greybox-victim: the server grey-box fuzzing must find a bug in and black-box fuzzing cannot
 * (pinned by tests/cli/greybox_fuzz_test.cpp, measured by bench/fuzz_greybox.sh). A line protocol over TCP
 * or UDP (--udp: one session, the latest sender's: a datagram from another sender starts a new one, so that
 * a fuzzer's new socket, whose ephemeral port may be one an earlier input used, never inherits that input's
 * session, as it did with a table of 64; replies to one datagram in one datagram):
 *   HELLO <name>   +HI            the session is greeted
 *   KEY <8 bytes>  +OPEN or -NO   once greeted: the key is compared 4 bytes at a time with memcmp
 *   RUN <arg>      +RAN           once open: an argument starting with the 4-byte magic calls abort()
 *   anything else  -ERR
 * Each wrong field gets the same reply as any other wrong one, so the replies tell a black-box fuzzer
 * nothing about how close it came: only the comparisons' operands do (trace-cmp).
 * Built three times: with clang's -fsanitize-coverage=trace-pc-guard,trace-cmp and sockspec's coverage
 * runtime (sockspec-test-greybox-victim), with -fsanitize=fuzzer-no-link and the runtime
 * (sockspec-test-greybox-victim-inline), and plain (sockspec-test-greybox-victim-plain).
 * Usage: --port N [--udp] [--no-crash] [--daemonize] (--no-crash: the magic argument is answered "+MAGIC",
 * for measuring rates on a server that does not crash, bench/fuzz_greybox.sh; --daemonize: fork first, the
 * parent exits, the child serves in a new session, as daemons do). Prints "listening on 127.0.0.1:PORT" once it serves. Single-threaded, poll(2),
 * at most 64 connections (more wait in the backlog); SIGTERM ends it. Plain C: no harness code. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kMaxClients = 64, kLine = 512 };

static int g_no_crash;

struct session {
  int state; /* 0 new, 1 greeted, 2 open */
  struct sockaddr_in peer; /* UDP: whose session */
};

/* Appends the reply to `line` (without its "\n") to `out`; returns the bytes added. */
static size_t handle(struct session* session, const char* line, size_t length, char* out) {
  if (length > 6 && memcmp(line, "HELLO ", 6) == 0) {
    session->state = 1;
    memcpy(out, "+HI\n", 4);
    return 4;
  }
  if (length >= 12 && memcmp(line, "KEY ", 4) == 0 && session->state >= 1) {
    /* One field at a time: both halves must match. */
    if (memcmp(line + 4, "Zq7!", 4) == 0 && memcmp(line + 8, "k#2v", 4) == 0) {
      session->state = 2;
      memcpy(out, "+OPEN\n", 6);
      return 6;
    }
    memcpy(out, "-NO\n", 4);
    return 4;
  }
  if (length >= 4 && memcmp(line, "RUN ", 4) == 0 && session->state == 2) {
    if (length >= 8 && memcmp(line + 4, "Go4!", 4) == 0) {
      if (!g_no_crash) abort(); /* the bug */
      memcpy(out, "+MAGIC\n", 7);
      return 7;
    }
    memcpy(out, "+RAN\n", 5);
    return 5;
  }
  memcpy(out, "-ERR\n", 5);
  return 5;
}

/* Every complete line of `data`, each reply appended to `out` (room: one reply per line). */
static size_t handle_lines(struct session* session, const char* data, size_t length, char* out, size_t* used) {
  size_t written = 0;
  size_t start = 0;
  for (size_t i = 0; i < length; ++i) {
    if (data[i] != '\n') continue;
    written += handle(session, data + start, i - start, out + written);
    start = i + 1;
  }
  *used = start;
  return written;
}

static int serve_udp(int fd) {
  static struct session session; /* the latest sender's */
  static char datagram[65536];
  static char out[65536 * 7]; /* every byte a line, each answered with at most 7 bytes */
  for (;;) {
    struct sockaddr_in peer;
    socklen_t peer_length = sizeof peer;
    ssize_t got = recvfrom(fd, datagram, sizeof datagram, 0, (struct sockaddr*)&peer, &peer_length);
    if (got < 0) continue;
    if (session.peer.sin_port != peer.sin_port || session.peer.sin_addr.s_addr != peer.sin_addr.s_addr) {
      session.state = 0;
      session.peer = peer;
    }
    size_t used = 0;
    size_t written = handle_lines(&session, datagram, (size_t)got, out, &used);
    if (written > 0) sendto(fd, out, written, 0, (struct sockaddr*)&peer, peer_length);
  }
}

struct client {
  int fd;
  struct session session;
  char buffer[kLine];
  size_t length;
};

static int serve_tcp(int listener) {
  static struct client clients[kMaxClients];
  struct pollfd polled[kMaxClients + 1];
  for (int i = 0; i < kMaxClients; ++i) clients[i].fd = -1;
  for (;;) {
    int count = 0;
    int open = 0;
    for (int i = 0; i < kMaxClients; ++i) open += clients[i].fd >= 0;
    polled[count++] = (struct pollfd){listener, open < kMaxClients ? POLLIN : 0, 0};
    for (int i = 0; i < kMaxClients; ++i) {
      if (clients[i].fd >= 0) polled[count++] = (struct pollfd){clients[i].fd, POLLIN, 0};
    }
    if (poll(polled, (nfds_t)count, -1) < 0) continue;
    if (polled[0].revents & POLLIN) {
      int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
      for (int i = 0; fd >= 0 && i < kMaxClients; ++i) {
        if (clients[i].fd < 0) {
          clients[i].fd = fd;
          clients[i].session.state = 0;
          clients[i].length = 0;
          fd = -1;
        }
      }
      if (fd >= 0) close(fd);
    }
    for (int p = 1; p < count; ++p) {
      if (polled[p].revents == 0) continue;
      struct client* client = NULL;
      for (int i = 0; i < kMaxClients; ++i) {
        if (clients[i].fd == polled[p].fd) client = &clients[i];
      }
      ssize_t got = read(client->fd, client->buffer + client->length, sizeof client->buffer - client->length);
      if (got <= 0) {
        close(client->fd);
        client->fd = -1;
        continue;
      }
      client->length += (size_t)got;
      char out[kLine * 7]; /* every byte a line, each answered with at most 7 bytes */
      size_t used = 0;
      size_t written = handle_lines(&client->session, client->buffer, client->length, out, &used);
      memmove(client->buffer, client->buffer + used, client->length - used);
      client->length -= used;
      if (written > 0 && write(client->fd, out, written) < 0) {
        close(client->fd);
        client->fd = -1;
        continue;
      }
      if (client->length == sizeof client->buffer) { /* a line too long: the client is cut off */
        close(client->fd);
        client->fd = -1;
      }
    }
  }
}

int main(int argc, char** argv) {
  int port = -1;
  int udp = 0;
  int daemonize = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      port = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--udp") == 0) {
      udp = 1;
    } else if (strcmp(argv[i], "--no-crash") == 0) {
      g_no_crash = 1;
    } else if (strcmp(argv[i], "--daemonize") == 0) {
      daemonize = 1;
    } else {
      fprintf(stderr, "usage: %s --port N [--udp] [--no-crash] [--daemonize]\n", argv[0]);
      return 2;
    }
  }
  if (port < 0 || port > 65535) {
    fprintf(stderr, "usage: %s --port N [--udp] [--no-crash] [--daemonize]\n", argv[0]);
    return 2;
  }
  if (daemonize) {
    pid_t child = fork();
    if (child < 0) {
      perror("greybox-victim: fork");
      return 1;
    }
    if (child > 0) _exit(0);
    setsid();
  }
  int fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, (struct sockaddr*)&address, sizeof address) != 0 || (!udp && listen(fd, 64) != 0)) {
    perror("greybox-victim: socket/bind/listen");
    return 1;
  }
  socklen_t length = sizeof address;
  getsockname(fd, (struct sockaddr*)&address, &length);
  printf("listening on 127.0.0.1:%d\n", ntohs(address.sin_port));
  fflush(stdout);
  return udp ? serve_udp(fd) : serve_tcp(fd);
}
