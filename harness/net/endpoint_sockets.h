// Sockets made from Endpoints, the set-up steps every target and the runner repeat: listen or bind at an
// endpoint, connect to one within a deadline. Failures name the endpoint and the errno.
#pragma once

#include <string>

#include "base/deadline.h"
#include "base/expected.h"
#include "net/endpoint.h"
#include "net/socket_ops.h"
#include "net/unique_fd.h"

namespace sockspec::net {

// A failed set-up step: where, which call, which errno. describe() gives
// "tcp://127.0.0.1:1: connect: ECONNREFUSED (Connection refused)".
struct EndpointFailure {
  std::string endpoint;
  SysError error;
  std::string describe() const;
};

template <typename T>
using EndpointResult = Expected<T, EndpointFailure>;

// Removes a unix socket's file when destroyed: the path a server bound must not outlive it.
class UnixPathOwner {
 public:
  UnixPathOwner() = default;
  explicit UnixPathOwner(std::string path) : m_path(std::move(path)) {}
  ~UnixPathOwner();
  UnixPathOwner(UnixPathOwner&& other) noexcept : m_path(std::exchange(other.m_path, {})) {}
  UnixPathOwner& operator=(UnixPathOwner&& other) noexcept;
  UnixPathOwner(const UnixPathOwner&) = delete;
  UnixPathOwner& operator=(const UnixPathOwner&) = delete;

 private:
  std::string m_path;
};

// A bound (and for connection-oriented transports, listening) socket with the address it really got.
// Members are destroyed bottom-up: the fd is closed before its unix path is removed.
struct BoundSocket {
  UnixPathOwner pathOwner;
  UniqueFd fd;
  Endpoint local;  // port 0 and autobind resolved to what the kernel chose
};

struct BindOptions {
  int backlog = 128;            // listen(2) backlog, for stream and seqpacket
  bool reuseAddress = true;     // SO_REUSEADDR on TCP: restart without waiting out TIME_WAIT
  Blocking blocking = Blocking::No;
};

// socket, bind and (for stream/seqpacket) listen at `endpoint`. A unix filesystem path is removed when the
// BoundSocket goes; an existing path is an error (EADDRINUSE, unix(7)), never silently unlinked.
EndpointResult<BoundSocket> bindEndpoint(const Endpoint& endpoint, const BindOptions& options = {});

// A socket connected to `endpoint` within `deadline`, left non-blocking. For datagram transports connect(2)
// only fixes the default peer; a unix datagram client is autobound first so that replies can reach it.
// A connect still pending at the deadline fails with ETIMEDOUT.
EndpointResult<UniqueFd> connectEndpoint(const Endpoint& endpoint, Deadline deadline);

}  // namespace sockspec::net
