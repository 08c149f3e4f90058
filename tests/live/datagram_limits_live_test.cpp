// The largest UDP datagrams through the echo service. The payload limit is the 16-bit length field minus
// the headers: IPv4 65,535 - 20 (IP) - 8 (UDP) = 65,507; IPv6 65,535 - 8 = 65,527, since the IPv6 payload
// length does not count the 40-byte fixed header (RFC 8200 section 3; jumbograms aside). Measured on the
// test machine over 127.0.0.1 and ::1: those sizes go, one byte more fails with EMSGSIZE.
#include <sys/socket.h>

#include <chrono>
#include <string>

#include <catch2/catch.hpp>

#include "base/errno_names.h"
#include "net/socket_ops.h"
#include "support/built_programs.h"
#include "support/live_sockets.h"
#include "support/live_transports.h"
#include "support/program_run.h"
#include "support/server_control.h"
#include "support/test_files.h"

namespace sockspec {
namespace {

using namespace std::chrono_literals;
using namespace testing;

struct DatagramLimit {
  const char* transport;
  std::size_t largest;
};

TEST_CASE("echo: the largest UDP datagram comes back whole, one byte more is EMSGSIZE", "[live][echo][udp]") {
  auto limit = GENERATE(values<DatagramLimit>({{"udp", 65507}, {"udp6", 65527}}));
  CAPTURE(limit.transport, limit.largest);
  auto server = startReferenceServer(listenUrlFor(limit.transport), "echo");

  SECTION("the test process as the client") {
    auto fd = connectOrFail(server.endpoint, Deadline::after(5s));
    std::string largest = patternBytes(limit.largest);
    sendDatagramOrFail(fd.get(), largest);
    std::size_t fullSize = 0;
    auto reply = receiveDatagram(fd.get(), Deadline::after(5s), &fullSize);
    REQUIRE(reply.has_value());
    CHECK(fullSize == limit.largest);
    CHECK(*reply == largest);

    std::string tooLarge = patternBytes(limit.largest + 1);
    auto sent = net::sendBytes(fd.get(), net::asBytes(tooLarge));
    REQUIRE_FALSE(sent);
    CHECK(errnoName(sent.error().code) == "EMSGSIZE");
  }
  SECTION("sockspec-client with the datagram as its input") {
    std::string largest = patternBytes(limit.largest);
    std::string inputPath = tempFilePath("largest-datagram", ".bin");
    writeFileOrFail(inputPath, largest);
    auto run = runProgram({clientBinary(), "--connect", server.endpoint.toString(), "--service", "echo",
                           "--input", inputPath, "--timeout", "10000"});
    INFO(run.describe());
    REQUIRE(run.exitedWith(0));
    CHECK(run.out == largest);

    writeFileOrFail(inputPath, patternBytes(limit.largest + 1));
    auto tooLarge = runProgram({clientBinary(), "--connect", server.endpoint.toString(), "--service", "echo",
                                "--input", inputPath, "--timeout", "10000"});
    INFO(tooLarge.describe());
    CHECK(tooLarge.exitedWith(2));
    CHECK(tooLarge.err.find("EMSGSIZE") != std::string::npos);
    CHECK(splitLines(tooLarge.err).size() == 1);
  }
  stopServerOrFail(server);
}

}  // namespace
}  // namespace sockspec
