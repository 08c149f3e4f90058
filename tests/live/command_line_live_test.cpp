// The command lines of sockspec-server, sockspec-client and sockspec as a user meets them: a bad command
// line or an endpoint that cannot be bound or reached gets exit code 2 and ONE line on stderr, prefixed with
// the program's name and naming the problem (the column of a malformed URL, the errno of a failed call);
// --help exits 0. Afterwards no child is left running and no unix socket path is left on disk.
#include <sys/socket.h>

#include <chrono>
#include <regex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "net/socket_ops.h"
#include "support/built_programs.h"
#include "support/live_sockets.h"
#include "support/process_probe.h"
#include "support/program_run.h"
#include "support/test_files.h"

namespace sockspec {
namespace {

using namespace std::chrono_literals;
using namespace testing;

struct Refusal {
  std::string what;                   // for the section name
  std::vector<std::string> args;      // after the program's path
  std::vector<std::string> mentions;  // each must appear in the one line on stderr
};

// Runs `program` with each refusal's arguments and checks: exit 2, one stderr line "<name>: ..." that
// mentions what it must, nothing on stdout, no child left behind.
void checkRefusals(const std::string& program, const std::string& name, const std::vector<Refusal>& refusals) {
  for (const auto& refusal : refusals) {
    DYNAMIC_SECTION(name << ": " << refusal.what) {
      std::vector<std::string> argv{program};
      argv.insert(argv.end(), refusal.args.begin(), refusal.args.end());
      auto run = runProgram(argv, {}, 10s);
      INFO(run.describe());
      CHECK(run.exitedWith(2));
      auto lines = splitLines(run.err);
      REQUIRE(lines.size() == 1);
      CHECK(lines[0].rfind(name + ": ", 0) == 0);
      for (const auto& mention : refusal.mentions) CHECK_THAT(lines[0], Catch::Contains(mention));
      CHECK(run.out.empty());
      CHECK(childrenOfThisProcess().empty());
    }
  }
}

// A TCP port on 127.0.0.1 that is bound but not listening, held for the test's duration: connecting to it
// is refused (RST), and no other program can start listening there meanwhile.
struct ClosedPort {
  net::UniqueFd fd;
  std::string url;
};
ClosedPort closedPort() {
  auto fd = net::openSocket(AF_INET, SOCK_STREAM);
  REQUIRE(fd);
  auto address = net::toSockAddr(endpointOrFail("tcp://127.0.0.1:0"));
  REQUIRE(address);
  REQUIRE(net::bindSocket(fd->get(), *address));
  auto local = net::localAddress(fd->get());
  REQUIRE(local);
  return {std::move(*fd), local->toEndpoint(net::Transport::Tcp).toString()};
}

TEST_CASE("sockspec-server: bad command lines and unusable endpoints exit 2 with one line", "[live][cli][server]") {
  // A port already taken by a listener of the test's own.
  auto busy = net::bindEndpoint(endpointOrFail("tcp://127.0.0.1:0"));
  REQUIRE(busy);
  std::string busyUrl = busy->local.toString();
  // An existing file where the server is told to bind: EADDRINUSE, and the file must survive (never unlinked).
  std::string existingPath = tempSocketPath("existing");
  writeFileOrFail(existingPath, "not a socket, and not the server's to remove\n");
  // A path the server would bind if the command line were valid: it must not be created.
  std::string unusedPath = tempSocketPath("never-bound");

  checkRefusals(serverBinary(), "sockspec-server",
                {
                    {"missing --listen", {"--service", "echo"}, {"--listen"}},
                    {"missing --service", {"--listen", "tcp://127.0.0.1:0"}, {"--service"}},
                    {"unknown service", {"--listen", "tcp://127.0.0.1:0", "--service", "quote"}, {"unknown service 'quote'"}},
                    {"unknown fault", {"--listen", "tcp://127.0.0.1:0", "--service", "echo", "--fault", "slow"},
                     {"unknown fault 'slow'"}},
                    {"malformed URL: bad port", {"--listen", "tcp://127.0.0.1:x", "--service", "echo"}, {"column 17"}},
                    {"malformed URL: port out of range", {"--listen", "tcp://127.0.0.1:70000", "--service", "echo"},
                     {"column 17", "70000"}},
                    {"malformed URL: unknown scheme", {"--listen", "sctp://127.0.0.1:7", "--service", "echo"},
                     {"column 1", "sctp"}},
                    {"port in use", {"--listen", busyUrl, "--service", "echo"}, {busyUrl, "bind", "EADDRINUSE"}},
                    {"existing unix path", {"--listen", "unix://" + existingPath, "--service", "echo"},
                     {existingPath, "EADDRINUSE"}},
                    {"framed over udp", {"--listen", "udp://127.0.0.1:0", "--service", "framed"}, {"framed", "udp"}},
                    {"framed over unix-dgram", {"--listen", "unix-dgram://" + unusedPath, "--service", "framed"},
                     {"framed"}},
                    {"unknown option", {"--listen", "tcp://127.0.0.1:0", "--service", "echo", "--colour"}, {"--colour"}},
                });
  CHECK(readFileOrFail(existingPath) == "not a socket, and not the server's to remove\n");
  CHECK_FALSE(pathExists(unusedPath));
}

TEST_CASE("sockspec-client: bad command lines and unreachable endpoints exit 2 with one line", "[live][cli][client]") {
  auto closed = closedPort();
  std::string missingPath = tempSocketPath("nobody-here");
  checkRefusals(clientBinary(), "sockspec-client",
                {
                    {"missing --connect", {"--service", "echo", "--data", "x"}, {"--connect"}},
                    {"unknown service", {"--connect", closed.url, "--service", "quote", "--data", "x"}, {"quote"}},
                    {"malformed URL: bad port", {"--connect", "tcp://127.0.0.1:x", "--service", "echo", "--data", "x"},
                     {"column 17"}},
                    {"malformed URL: no scheme", {"--connect", "127.0.0.1:7", "--service", "echo", "--data", "x"},
                     {"column 1"}},
                    {"connecting to a closed port", {"--connect", closed.url, "--service", "echo", "--data", "x"},
                     {closed.url, "ECONNREFUSED"}},
                    {"a unix path that does not exist",
                     {"--connect", "unix://" + missingPath, "--service", "echo", "--data", "x"},
                     {missingPath, "ENOENT"}},
                    {"framed over udp", {"--connect", "udp://127.0.0.1:9", "--service", "framed", "--data", "bye"},
                     {"framed", "udp"}},
                    {"--data and --input together",
                     {"--connect", closed.url, "--service", "echo", "--data", "x", "--input", "-"}, {"--"}},
                });
  CHECK_FALSE(pathExists(missingPath));
}

TEST_CASE("sockspec: bad command lines exit 2 with one line", "[live][cli][sockspec]") {
  checkRefusals(sockspecBinary(), "sockspec",
                {
                    {"no subcommand", {}, {"subcommand"}},
                    {"unknown subcommand", {"frobnicate"}, {}},
                });
}

TEST_CASE("--help exits 0 and describes the program, for all three programs", "[live][cli][help]") {
  SECTION("sockspec-server") {
    auto run = runProgram({serverBinary(), "--help"}, {}, 10s);
    INFO(run.describe());
    CHECK(run.exitedWith(0));
    for (const char* option : {"--listen", "--service", "--fault", "--events", "--backlog"}) {
      CHECK_THAT(run.out, Catch::Contains(option));
    }
  }
  SECTION("sockspec-client") {
    auto run = runProgram({clientBinary(), "--help"}, {}, 10s);
    INFO(run.describe());
    CHECK(run.exitedWith(0));
    for (const char* option : {"--connect", "--service", "--chunk", "--read-size", "--half-close", "--events"}) {
      CHECK_THAT(run.out, Catch::Contains(option));
    }
  }
  SECTION("sockspec lists its subcommands run, inspect, fuzz and replay") {
    auto run = runProgram({sockspecBinary(), "--help"}, {}, 10s);
    INFO(run.describe());
    CHECK(run.exitedWith(0));
    for (const char* command : {"run", "inspect", "fuzz", "replay"}) {
      // A subcommand is listed at the start of a line, indented, followed by its description.
      CHECK(std::regex_search(run.out, std::regex(std::string("\n +") + command + " ")));
    }
  }
  CHECK(childrenOfThisProcess().empty());
}

TEST_CASE("sockspec --version prints the project version", "[live][cli][version]") {
  auto run = runProgram({sockspecBinary(), "--version"}, {}, 10s);
  INFO(run.describe());
  CHECK(run.exitedWith(0));
  CHECK(run.out == std::string("sockspec ") + SOCKSPEC_EXPECTED_VERSION + "\n");
}

}  // namespace
}  // namespace sockspec
