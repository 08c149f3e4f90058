// Set-up shared by the unit suites that make real sockets: loopback listeners on ephemeral ports, connected
// pairs, and errno names of results, so that a failed assertion reads "ECONNREFUSED == EADDRINUSE".
// Everything here FAILs the running test on an unexpected set-up error and waits only up to a deadline.
#pragma once

#include <sys/socket.h>
#include <sys/time.h>

#include <chrono>
#include <string>
#include <string_view>

#include <catch2/catch.hpp>

#include "base/deadline.h"
#include "base/errno_names.h"
#include "base/sys_error.h"
#include "net/endpoint.h"
#include "net/readiness.h"
#include "net/sock_addr.h"
#include "net/socket_ops.h"
#include "net/unique_fd.h"

namespace sockspec::testing {

// The errno name of a failed result, or "no error" for a successful one.
template <typename R>
std::string errnoOf(const R& result) {
  return result ? std::string("no error") : errnoName(result.error().code);
}

// The call name and errno of a failed result, e.g. "connect ECONNREFUSED"; "no error" for success.
template <typename R>
std::string callAndErrnoOf(const R& result) {
  if (result) return "no error";
  return std::string(result.error().call) + " " + errnoName(result.error().code);
}

inline net::Endpoint endpointOf(std::string_view url) {
  auto parsed = net::parseEndpoint(url);
  if (!parsed) FAIL(net::formatEndpointError(url, parsed.error()));
  return *parsed;
}

inline net::SockAddr sockAddrOf(std::string_view url) {
  auto address = net::toSockAddr(endpointOf(url));
  if (!address) FAIL(std::string(url) << ": " << address.error());
  return *address;
}

inline net::UniqueFd openOrFail(int family, int type, net::Blocking blocking = net::Blocking::No) {
  auto fd = net::openSocket(family, type, 0, blocking);
  if (!fd) FAIL("socket: " << fd.error().describe());
  return std::move(*fd);
}

// Bounds every blocking send/recv/connect on `fd` (SO_SNDTIMEO also bounds a blocking connect, socket(7)).
inline void boundBlockingCalls(int fd, std::chrono::milliseconds limit) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(limit.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((limit.count() % 1000) * 1000);
  REQUIRE(net::setSocketOption(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
  REQUIRE(net::setSocketOption(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
}

struct Listener {
  net::UniqueFd fd;
  net::SockAddr address;  // the real port the kernel chose
};

// A non-blocking TCP listener on 127.0.0.1, port chosen by the kernel.
inline Listener tcpListener(int backlog = 16) {
  Listener listener{openOrFail(AF_INET, SOCK_STREAM), {}};
  REQUIRE(net::bindSocket(listener.fd.get(), sockAddrOf("tcp://127.0.0.1:0")));
  REQUIRE(net::listenSocket(listener.fd.get(), backlog));
  auto local = net::localAddress(listener.fd.get());
  REQUIRE(local);
  listener.address = *local;
  return listener;
}

struct ConnectedPair {
  net::UniqueFd client;  // non-blocking
  net::UniqueFd server;  // non-blocking, accepted
  Listener listener;
};

// A loopback TCP connection, both ends non-blocking, set up within two seconds.
inline ConnectedPair connectedTcpPair() {
  auto deadline = Deadline::after(std::chrono::seconds(2));
  ConnectedPair pair{openOrFail(AF_INET, SOCK_STREAM), {}, tcpListener()};
  auto connected = net::connectSocket(pair.client.get(), pair.listener.address);
  if (!connected) REQUIRE(errnoOf(connected) == "EINPROGRESS");
  auto writable = net::waitWritable(pair.client.get(), deadline);
  REQUIRE(writable);
  REQUIRE(*writable == net::Readiness::Ready);
  auto outcome = net::pendingError(pair.client.get());
  REQUIRE(outcome);
  INFO("SO_ERROR after connect: " << errnoName(*outcome));
  REQUIRE(*outcome == 0);
  auto readable = net::waitReadable(pair.listener.fd.get(), deadline);
  REQUIRE(readable);
  REQUIRE(*readable == net::Readiness::Ready);
  auto accepted = net::acceptConnection(pair.listener.fd.get(), net::Blocking::No);
  REQUIRE(accepted);
  pair.server = std::move(accepted->fd);
  return pair;
}

}  // namespace sockspec::testing
