// One mebibyte through the echo service one byte at a time: sockspec-client sends with --chunk 1 (one byte
// per send(2)) and reads with --read-size 1 (one byte per recv(2)), over tcp and unix. Every byte must come
// back in order. This is the slow suite (about 6 to 9 s per transport on a 2-core machine, more under ASan):
// two million one-byte syscalls in the client alone.
#include <chrono>
#include <string>

#include <catch2/catch.hpp>

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

TEST_CASE("echo: 1 MiB sent and read one byte per call comes back whole and in order", "[live][echo][slow]") {
  std::string transport = GENERATE(as<std::string>{}, "tcp", "unix");
  CAPTURE(transport);
  constexpr std::size_t kSize = 1024 * 1024;  // not smaller: the point is a mebibyte of single bytes
  std::string input = patternBytes(kSize);
  std::string inputPath = tempFilePath("one-byte-input", ".bin");
  std::string outputPath = tempFilePath("one-byte-output", ".bin");
  writeFileOrFail(inputPath, input);
  std::string url = listenUrlFor(transport);
  auto server = startReferenceServer(url, "echo");

  auto started = std::chrono::steady_clock::now();
  auto run = runProgram({clientBinary(), "--connect", server.endpoint.toString(), "--service", "echo", "--input",
                         inputPath, "--chunk", "1", "--read-size", "1", "--timeout", "150000", "--output",
                         outputPath},
                        {}, 170s);
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  WARN(transport << ": 1 MiB in one-byte sends and reads took " << seconds << " s");
  INFO(run.describe());
  REQUIRE(run.exitedWith(0));
  std::string echoed = readFileOrFail(outputPath);
  REQUIRE(echoed.size() == kSize);
  CHECK(echoed == input);
  stopServerOrFail(server);
}

}  // namespace
}  // namespace sockspec
