// net::unixPeerSendMemory against real socketpairs: what the peer has queued towards us and its send buffer,
// as the kernel counts them (what `ss -xm` shows as t and tb).
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "net/unique_fd.h"
#include "net/unix_diag.h"

namespace sockspec {
namespace {

struct Pair {
  net::UniqueFd ours;
  net::UniqueFd peer;
};

Pair makePair(int type) {
  int fds[2] = {-1, -1};
  REQUIRE(::socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
  return Pair{net::UniqueFd(fds[0]), net::UniqueFd(fds[1])};
}

int sendBufferOf(int fd) {
  int size = 0;
  socklen_t length = sizeof(size);
  REQUIRE(::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, &length) == 0);
  return size;
}

}  // namespace

TEST_CASE("unix_diag: the peer's queued bytes towards us and its send buffer", "[unix-diag]") {
  int type = GENERATE(SOCK_STREAM, SOCK_SEQPACKET);
  INFO((type == SOCK_STREAM ? "stream" : "seqpacket"));
  Pair pair = makePair(type);
  // A send buffer set on the peer is the limit reported (the kernel doubles what is asked, socket(7)).
  int asked = 65536;
  REQUIRE(::setsockopt(pair.peer.get(), SOL_SOCKET, SO_SNDBUF, &asked, sizeof(asked)) == 0);

  auto empty = net::unixPeerSendMemory(pair.ours.get());
  REQUIRE(empty);
  CHECK(empty->queued == 0);
  CHECK(empty->limit == static_cast<std::uint64_t>(sendBufferOf(pair.peer.get())));

  std::vector<char> bytes(20000, 'x');
  REQUIRE(::send(pair.peer.get(), bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size()));
  auto queued = net::unixPeerSendMemory(pair.ours.get());
  REQUIRE(queued);
  // Counted with the buffers' overhead (truesize): at least the bytes, not far above them.
  CHECK(queued->queued >= bytes.size());
  CHECK(queued->queued < bytes.size() + 16384);

  // Read, they are no longer the peer's.
  REQUIRE(::recv(pair.ours.get(), bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size()));
  auto drained = net::unixPeerSendMemory(pair.ours.get());
  REQUIRE(drained);
  CHECK(drained->queued == 0);

  // The peer gone: its socket cannot be found any more.
  pair.peer.reset();
  auto gone = net::unixPeerSendMemory(pair.ours.get());
  REQUIRE_FALSE(gone);
  CHECK((gone.error().code == ENOENT || gone.error().code == ENOTCONN));
}

TEST_CASE("unix_diag: a socket that is not AF_UNIX has no unix peer", "[unix-diag]") {
  net::UniqueFd tcp(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(tcp.get() >= 0);
  auto memory = net::unixPeerSendMemory(tcp.get());
  REQUIRE_FALSE(memory);
  CHECK(memory.error().code != 0);
}

}  // namespace sockspec
