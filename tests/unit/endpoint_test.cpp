// Endpoint URLs: what parses and prints back unchanged, and what is refused with which column and message.
// The parser reads command lines and scenario files, so hostile input must give an error, never a crash.
#include "net/endpoint.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

namespace sockspec {
namespace {

using namespace std::string_literals;
using net::Endpoint;
using net::parseEndpoint;
using net::Transport;

// Parsing must never throw, whatever the bytes; REQUIRE_NOTHROW keeps a throw from hiding as a crash.
Expected<Endpoint, net::EndpointError> parseQuietly(std::string_view text) {
  std::optional<Expected<Endpoint, net::EndpointError>> parsed;
  REQUIRE_NOTHROW(parsed.emplace(parseEndpoint(text)));
  return std::move(*parsed);
}

// A message that is safe on a terminal: one line of printable ASCII.
bool isPrintableLine(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte >= 0x20 && byte < 0x7f;
  });
}

// What every refused input must satisfy, whatever it is.
void checkRefusal(std::string_view text, const net::EndpointError& error) {
  CHECK(error.column >= 1);
  CHECK(error.column <= text.size() + 1);
  CHECK_FALSE(error.message.empty());
  std::string formatted = net::formatEndpointError(text, error);
  CHECK(isPrintableLine(formatted));
  CHECK(formatted.size() < 1024);  // a 1 MB input still makes a one-line message
}

TEST_CASE("endpoint URLs parse into their parts and print back unchanged", "[endpoint][parse]") {
  struct Case {
    std::string url;
    Transport transport;
    std::string host;
    std::uint16_t port;
    std::string path;
    bool abstract;
  };
  auto c = GENERATE(values<Case>({
      {"tcp://127.0.0.1:7", Transport::Tcp, "127.0.0.1", 7, "", false},
      {"tcp://[::1]:0", Transport::Tcp, "::1", 0, "", false},
      {"tcp://0.0.0.0:65535", Transport::Tcp, "0.0.0.0", 65535, "", false},
      {"udp://127.0.0.1:53", Transport::Udp, "127.0.0.1", 53, "", false},
      {"udp://[::1]:9", Transport::Udp, "::1", 9, "", false},
      {"udp://[::ffff:127.0.0.1]:9", Transport::Udp, "::ffff:127.0.0.1", 9, "", false},
      {"tcp://localhost:80", Transport::Tcp, "localhost", 80, "", false},
      {"unix:///path", Transport::UnixStream, "", 0, "/path", false},
      {"unix://@abstract", Transport::UnixStream, "", 0, "abstract", true},
      {"unix-dgram:///tmp/d.sock", Transport::UnixDgram, "", 0, "/tmp/d.sock", false},
      {"unix-dgram://@", Transport::UnixDgram, "", 0, "", true},
      {"unix-seqpacket:///p", Transport::UnixSeqpacket, "", 0, "/p", false},
      {"unix-seqpacket://@name with spaces", Transport::UnixSeqpacket, "", 0, "name with spaces", true},
  }));
  CAPTURE(c.url);
  auto parsed = parseQuietly(c.url);
  if (!parsed) FAIL(net::formatEndpointError(c.url, parsed.error()));
  CHECK(parsed->transport == c.transport);
  CHECK(parsed->host == c.host);
  CHECK(parsed->port == c.port);
  CHECK(parsed->path == c.path);
  CHECK(parsed->abstract == c.abstract);
  CHECK(parsed->isIpv6() == (c.host.find(':') != std::string::npos));
  CHECK(parsed->isAutobind() == (c.abstract && c.path.empty()));
  CHECK(parsed->toString() == c.url);
  auto again = parseQuietly(parsed->toString());
  REQUIRE(again);
  CHECK(*again == *parsed);
}

TEST_CASE("a port with leading zeros parses and prints in its plain form", "[endpoint][parse]") {
  auto parsed = parseQuietly("tcp://127.0.0.1:0080");
  REQUIRE(parsed);
  CHECK(parsed->port == 80);
  CHECK(parsed->toString() == "tcp://127.0.0.1:80");
}

TEST_CASE("a bad endpoint is refused with the column of the problem and a clear message",
          "[endpoint][parse]") {
  struct Case {
    std::string text;
    std::size_t column;
    std::string messagePart;
  };
  auto c = GENERATE(values<Case>({
      {"", 1, "expected SCHEME://ADDRESS"},
      {"127.0.0.1:7", 1, "expected SCHEME://ADDRESS"},
      {"tcp:/127.0.0.1:7", 1, "expected SCHEME://ADDRESS"},
      {"sctp://127.0.0.1:7", 1, "unknown scheme 'sctp'"},
      {"TCP://127.0.0.1:7", 1, "unknown scheme 'TCP'"},
      {"tcp://", 7, "expected a host"},
      {"tcp://:7", 7, "expected a host before ':'"},
      {"tcp://127.0.0.1", 16, "expected ':' and a port"},
      {"tcp://127.0.0.1:", 17, "expected a port number"},
      {"tcp://127.0.0.1:65536", 17, "port 65536 is out of range 0-65535"},
      {"tcp://127.0.0.1:99999999999999999999999", 17, "out of range 0-65535"},
      {"tcp://127.0.0.1:8o", 18, "unexpected 'o' in the port: expected digits"},
      {"tcp://127.0.0.1:http", 17, "unexpected 'h' in the port"},
      {"tcp://127.0.0.1:-1", 17, "unexpected '-' in the port"},
      {"tcp://127.0.0.1:80/", 19, "unexpected '/' in the port"},
      {"tcp://[::1:7", 7, "'[' opens an IPv6 address that no ']' closes"},
      {"tcp://[::1]", 12, "expected ':' and a port after the IPv6 address"},
      {"tcp://[::1]7", 12, "expected ':' and a port after the IPv6 address"},
      {"tcp://[127.0.0.1]:7", 8, "'127.0.0.1' is not an IPv6 address literal"},
      {"tcp://[]:7", 8, "is not an IPv6 address literal"},
      {"tcp://::1:7", 7, "an IPv6 address goes in brackets"},
      {"udp://fe80::1:7", 7, "an IPv6 address goes in brackets"},
      {"tcp://127.1:7", 7, "'127.1' is not an IPv4 address literal or localhost"},
      {"tcp://example.com:80", 7,
       "'example.com' is not an IPv4 address literal or localhost (sockspec does not look names up)"},
      {"udp://LOCALHOST:80", 7, "does not look names up"},
      {"tcp://[example.com]:80", 8, "is not an IPv6 address literal"},
      {"unix://", 8, "expected a path"},
      {"unix:///tmp/a\0b"s, 14, "cannot contain a NUL byte"},
      {"unix://@a\0"s, 10, "cannot contain a NUL byte"},
      {"tcp://127.0.0.1\0:7"s, 16, "NUL byte"},
      {"tcp://127.0.0.1\0garbage:7"s, 16, "NUL byte"},
      {"udp://[::1\0junk]:7"s, 11, "NUL byte"},
      {"tcp://127.0.0.1:7\0"s, 18, "NUL byte"},
      {"unix:///" + std::string(199, 'a'), 8, "unix socket name is 200 bytes, longer than the 107"},
      {"unix://@" + std::string(108, 'a'), 8, "unix socket name is 108 bytes, longer than the 107"},
  }));
  CAPTURE(c.text);
  auto parsed = parseQuietly(c.text);
  if (parsed) FAIL("accepted as " << parsed->toString());
  CHECK(parsed.error().column == c.column);
  CHECK_THAT(parsed.error().message, Catch::Contains(c.messagePart));
  checkRefusal(c.text, parsed.error());
}

TEST_CASE("the longest unix names that fit sun_path are accepted", "[endpoint][parse]") {
  auto path = parseQuietly("unix:///" + std::string(106, 'a'));  // 107 bytes plus the terminating NUL
  REQUIRE(path);
  CHECK(path->path.size() == 107);
  auto abstract = parseQuietly("unix://@" + std::string(107, 'a'));  // the leading NUL plus 107 bytes
  REQUIRE(abstract);
  CHECK(abstract->path.size() == 107);
}

TEST_CASE("formatEndpointError quotes the text, the column and the message", "[endpoint][parse]") {
  auto parsed = parseQuietly("tcp://:7");
  REQUIRE_FALSE(parsed);
  CHECK(net::formatEndpointError("tcp://:7", parsed.error()) ==
        "endpoint 'tcp://:7', column 7: expected a host before ':'");

  std::string binary = "unix:///\x01\n\xff";
  auto refused = net::EndpointError{"some problem", 9};
  CHECK(net::formatEndpointError(binary, refused) ==
        "endpoint 'unix:///\\x01\\n\\xff', column 9: some problem");
}

TEST_CASE("a 1 MB endpoint is refused with a short message", "[endpoint][parse][hostile]") {
  const std::size_t oneMegabyte = 1 << 20;
  auto text = GENERATE_COPY(
      std::string(oneMegabyte, 'x'), "tcp://" + std::string(oneMegabyte, '1'),
      "tcp://127.0.0.1:" + std::string(oneMegabyte, '7'), "tcp://[" + std::string(oneMegabyte, ':') + "]:7",
      "unix:///" + std::string(oneMegabyte, '/'), std::string(oneMegabyte, ':') + "://x");
  INFO(text.substr(0, 24));
  auto parsed = parseQuietly(text);
  REQUIRE_FALSE(parsed);
  checkRefusal(text, parsed.error());
}

TEST_CASE("binary garbage and mutated URLs never crash; what parses prints back",
          "[endpoint][parse][hostile]") {
  // A fixed seed: a failure reproduces. The property, not the particular bytes, is what is pinned.
  std::mt19937 random(20240601);
  std::uniform_int_distribution<int> byteDist(0, 255);
  const std::vector<std::string> seeds = {"tcp://127.0.0.1:7", "udp://[::1]:65535",   "unix:///tmp/x.sock",
                                          "unix-dgram://@",    "unix-seqpacket://@n", "tcp://localhost:0"};
  int accepted = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    if (round % 2 == 0) {
      std::size_t length = static_cast<std::size_t>(byteDist(random) % 40);
      for (std::size_t i = 0; i < length; ++i) text += static_cast<char>(byteDist(random));
    } else {
      text = seeds[static_cast<std::size_t>(round / 2) % seeds.size()];
      int edits = 1 + byteDist(random) % 3;
      for (int e = 0; e < edits; ++e) {
        std::size_t at = static_cast<std::size_t>(byteDist(random)) % text.size();
        text[at] = static_cast<char>(byteDist(random));
      }
    }
    auto parsed = parseQuietly(text);
    if (!parsed) {
      CAPTURE(text);
      // CHECK inside the loop only on failure, so the report stays readable.
      if (parsed.error().column < 1 || parsed.error().column > text.size() + 1 ||
          parsed.error().message.empty() ||
          !isPrintableLine(net::formatEndpointError(text, parsed.error()))) {
        checkRefusal(text, parsed.error());
      }
      continue;
    }
    ++accepted;
    auto printed = parsed->toString();
    auto again = parseQuietly(printed);
    if (!again || !(*again == *parsed)) {
      CAPTURE(text, printed);
      FAIL("an accepted endpoint does not read back from its printed form");
    }
  }
  CHECK(accepted > 0);  // the mutations do reach the success path
}

TEST_CASE("schemes, socket types and transports agree", "[endpoint]") {
  CHECK(net::schemeOf(Transport::Tcp) == "tcp");
  CHECK(net::schemeOf(Transport::UnixSeqpacket) == "unix-seqpacket");
  CHECK(net::socketTypeOf(Transport::Udp) == SOCK_DGRAM);
  CHECK(net::socketTypeOf(Transport::UnixDgram) == SOCK_DGRAM);
  CHECK(net::socketTypeOf(Transport::UnixSeqpacket) == SOCK_SEQPACKET);
  CHECK(net::socketTypeOf(Transport::UnixStream) == SOCK_STREAM);
  CHECK(net::isConnectionOriented(Transport::UnixSeqpacket));
  CHECK_FALSE(net::isConnectionOriented(Transport::Udp));
  CHECK(net::isUnix(Transport::UnixDgram));
  CHECK_FALSE(net::isUnix(Transport::Tcp));
}

}  // namespace
}  // namespace sockspec
