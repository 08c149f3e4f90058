// The transports the live suites run every service over, by short name, and where a test server listens for
// each: loopback with port 0 (the kernel picks a free port; the server prints the one it got) or a fresh
// unix path in the test's temp directory.
#pragma once

#include <string>
#include <string_view>

namespace sockspec::testing {

// "tcp", "tcp6", "udp", "udp6", "unix", "unix-dgram", "unix-seqpacket" -> "tcp://127.0.0.1:0",
// "tcp://[::1]:0", ..., "unix:///tmp/sockspec-test-XXXXXX/unix-3.sock". FAILs on an unknown name.
std::string listenUrlFor(std::string_view transport);

// The filesystem path inside a unix URL ("" for inet and abstract URLs).
std::string unixPathOf(std::string_view url);

// udp, udp6, unix-dgram: no connection, every datagram on its own.
bool isConnectionless(std::string_view transport);

}  // namespace sockspec::testing
