#include "net/endpoint_sockets.h"

#include <netinet/in.h>
#include <unistd.h>

#include <fmt/format.h>

#include "net/readiness.h"
#include "net/sock_addr.h"

namespace sockspec::net {

std::string EndpointFailure::describe() const { return fmt::format("{}: {}", endpoint, error.describe()); }

UnixPathOwner::~UnixPathOwner() {
  if (!m_path.empty()) (void)::unlink(m_path.c_str());
}

UnixPathOwner& UnixPathOwner::operator=(UnixPathOwner&& other) noexcept {
  if (this != &other) {
    if (!m_path.empty()) (void)::unlink(m_path.c_str());
    m_path = std::exchange(other.m_path, {});
  }
  return *this;
}

namespace {

Unexpected<EndpointFailure> failure(const Endpoint& endpoint, SysError error) {
  return Unexpected{EndpointFailure{endpoint.toString(), error}};
}

}  // namespace

EndpointResult<BoundSocket> bindEndpoint(const Endpoint& endpoint, const BindOptions& options) {
  auto address = toSockAddr(endpoint);
  if (!address) return failure(endpoint, SysError{EINVAL, "bind"});
  int type = socketTypeOf(endpoint.transport);
  auto fd = openSocket(familyOf(endpoint), type, 0, options.blocking);
  if (!fd) return failure(endpoint, fd.error());

  if (endpoint.transport == Transport::Tcp && options.reuseAddress) {
    if (auto set = setIntOption(fd->get(), SOL_SOCKET, SO_REUSEADDR, 1); !set) return failure(endpoint, set.error());
  }
  if (endpoint.isIpv6()) {
    // Bind [::] to IPv6 only, so that an IPv6 scenario never sees IPv4-mapped peers.
    if (auto set = setIntOption(fd->get(), IPPROTO_IPV6, IPV6_V6ONLY, 1); !set) return failure(endpoint, set.error());
  }
  if (auto bound = bindSocket(fd->get(), *address); !bound) return failure(endpoint, bound.error());

  BoundSocket result;
  // Own the path from the moment bind created it, so an error below still removes it.
  if (endpoint.isUnix() && !endpoint.abstract) result.pathOwner = UnixPathOwner(endpoint.path);
  if (type != SOCK_DGRAM) {
    if (auto listening = listenSocket(fd->get(), options.backlog); !listening) {
      return failure(endpoint, listening.error());
    }
  }
  auto local = localAddress(fd->get());
  if (!local) return failure(endpoint, local.error());
  result.local = local->toEndpoint(endpoint.transport);
  if (endpoint.isUnix() && !endpoint.abstract) result.local.path = endpoint.path;
  result.fd = std::move(*fd);
  return result;
}

EndpointResult<UniqueFd> connectEndpoint(const Endpoint& endpoint, Deadline deadline) {
  auto address = toSockAddr(endpoint);
  if (!address) return failure(endpoint, SysError{EINVAL, "connect"});
  auto fd = openSocket(familyOf(endpoint), socketTypeOf(endpoint.transport), 0, Blocking::No);
  if (!fd) return failure(endpoint, fd.error());

  if (endpoint.transport == Transport::UnixDgram) {
    Endpoint autobind{Transport::UnixDgram, {}, 0, {}, true};
    auto any = toSockAddr(autobind);
    if (auto bound = bindSocket(fd->get(), *any); !bound) return failure(endpoint, bound.error());
  }

  auto connected = connectSocket(fd->get(), *address);
  if (connected) return std::move(*fd);
  int code = connected.error().code;
  // A non-blocking AF_UNIX stream connect to a full backlog fails with EAGAIN rather than EINPROGRESS
  // (unix_stream_connect(), connect(2)); it is reported as is, not waited on.
  if (code != EINPROGRESS) return failure(endpoint, connected.error());

  auto ready = waitWritable(fd->get(), deadline);
  if (!ready) return failure(endpoint, ready.error());
  if (*ready == Readiness::TimedOut) return failure(endpoint, SysError{ETIMEDOUT, "connect"});
  auto outcome = pendingError(fd->get());
  if (!outcome) return failure(endpoint, outcome.error());
  if (*outcome != 0) return failure(endpoint, SysError{*outcome, "connect"});
  return std::move(*fd);
}

}  // namespace sockspec::net
