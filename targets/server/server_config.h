// What one reference server instance serves, where, and how (the command line's result).
#pragma once

#include <cstddef>
#include <cstdint>

#include "net/endpoint.h"
#include "proto/framed_codec.h"
#include "service_catalog.h"

namespace sockspec::server {

struct ServerConfig {
  net::Endpoint listen;
  Service service = Service::Echo;
  Fault fault = Fault::None;
  int backlog = 128;                                    // listen(2); the kernel caps it at somaxconn
  std::uint32_t maxPayload = proto::kDefaultMaxPayload;  // framed: the largest payload accepted
  std::size_t maxConnections = 0;                       // 0: as many as RLIMIT_NOFILE allows
  // TCP_NODELAY on accepted TCP connections. With Nagle, a reply written while an earlier one is unACKed
  // waits for the client's delayed ACK, tens of milliseconds on Linux (tcp(7); RFC 1122 4.2.3.2, 4.2.2.4):
  // a request/response server turns it off, as muduo's and nginx's (tcp_nodelay on) do.
  bool tcpNoDelay = true;
  // SO_SNDBUF on accepted stream connections, in bytes (0: the kernel's default and, for TCP, its
  // autotuning). Linux doubles it and applies a floor (socket(7)). A small one makes replies fill the
  // kernel's buffer after a few KiB, so that the server's own queue and EPOLLOUT path are reached: with
  // TCP autotuning on loopback a send(2) takes 128 KiB at once even when the client's window is closed.
  int sendBuffer = 0;
};

// Counters a caller (the in-process fuzzer, a test) can read after a run.
struct ServerCounters {
  std::uint64_t accepted = 0;
  std::uint64_t closed = 0;
  std::uint64_t resets = 0;          // connections that ended in ECONNRESET/EPIPE from the peer
  std::uint64_t acceptFailures = 0;  // EMFILE/ENFILE/ENOBUFS: a connection was accepted and shed at once
  std::uint64_t bytesIn = 0;
  std::uint64_t bytesOut = 0;
  std::uint64_t datagramsIn = 0;
  std::uint64_t datagramsOut = 0;
  std::uint64_t repliesDropped = 0;  // datagram replies the kernel would not take (EAGAIN, ECONNREFUSED)
};

}  // namespace sockspec::server
