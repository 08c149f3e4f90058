// `sockspec replay --write-scenarios` and `sockspec run DIR --target-cmd`: a fuzzing reproducer becomes a
// scenario that fails against the server with the fault (crash, hang) and passes against the correct one,
// for echo and framed; the target scenarios are skipped without a target and over other families; bad
// command lines are exit 2 and an edited scenario is never overwritten.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "blackbox/service_model.h"
#include "proto/framed_codec.h"
#include "support/built_programs.h"
#include "support/program_run.h"
#include "support/test_files.h"

using namespace sockspec::testing;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

ProgramRun runSockspec(std::vector<std::string> arguments) {
  std::vector<std::string> argv{sockspecBinary()};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return runProgram(argv, {}, 60s);
}

std::string freshFolder(const std::string& stem) {
  std::string folder = tempFilePath(stem);
  fs::create_directories(folder);
  return folder;
}

void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

std::string serverCommand(const std::string& service, const std::string& fault = "none") {
  return serverBinary() + " --listen tcp://127.0.0.1:{port} --service " + service + " --fault " + fault;
}

// Writes `bytes` as a reproducer named `name` and converts it; returns the scenarios' folder.
std::string scenarioFor(const std::string& name, const std::string& bytes, const std::string& service) {
  std::string findings = freshFolder("findings");
  writeBytes(findings + "/" + name, bytes);
  std::string scenarios = tempFilePath("regressions");
  auto wrote = runSockspec({"replay", findings, "--service", service, "--write-scenarios", scenarios});
  INFO(wrote.describe());
  REQUIRE(wrote.exitedWith(0));
  CHECK(fs::exists(scenarios + "/regression." + service + "." + name + ".scn"));
  return scenarios;
}

}  // namespace

TEST_CASE("an echo crash reproducer becomes a scenario that fails on the faulty server and passes on the fixed one",
          "[live][fuzz]") {
  std::string scenarios = scenarioFor("crash-00000000000000d1", "hi\xde\xadthere", "echo");

  auto faulty = runSockspec({"run", scenarios, "--target-cmd", serverCommand("echo", "crash-on-bytes")});
  INFO(faulty.describe());
  CHECK(faulty.exitedWith(1));
  CHECK(faulty.out.find("FAIL  regression.echo.crash-00000000000000d1[tcp4]") != std::string::npos);
  CHECK(faulty.out.find("killed by SIGABRT") != std::string::npos);
  // The other families are skipped, naming the target, never passed.
  CHECK(faulty.out.find("SKIP  regression.echo.crash-00000000000000d1[unix]  (the server under test, tcp://127.0.0.1:") !=
        std::string::npos);

  auto fixed = runSockspec({"run", scenarios, "--target-cmd", serverCommand("echo")});
  INFO(fixed.describe());
  CHECK(fixed.exitedWith(0));
  CHECK(fixed.out.find("PASS  regression.echo.crash-00000000000000d1[tcp4]") != std::string::npos);
}

TEST_CASE("a hang reproducer's scenario fails at the reply's deadline", "[live][fuzz]") {
  std::string scenarios = scenarioFor("hang-00000000000000b2", "\xbe\xef", "echo");
  auto faulty = runSockspec({"run", scenarios, "--target-cmd", serverCommand("echo", "hang-on-bytes")});
  INFO(faulty.describe());
  CHECK(faulty.exitedWith(1));
  CHECK(faulty.out.find("FAIL  regression.echo.hang-00000000000000b2[tcp4]") != std::string::npos);
  CHECK(faulty.out.find("EAGAIN") != std::string::npos);  // the recv's 2 s deadline passed without a reply
}

TEST_CASE("a framed reproducer's scenario expects the protocol's replies: the reference server passes it",
          "[live][fuzz]") {
  // The fuzzer's framed seeds (HELLO, ECHO, STATS, BYE), with an ECHO whose payload holds 0xDE 0xAD first.
  auto seeds = sockspec::blackbox::seedInputs(sockspec::blackbox::protocolOf(sockspec::blackbox::FuzzProtocolKind::Framed));
  REQUIRE(seeds.size() >= 2);
  std::vector<std::uint8_t> input(seeds[0].begin(), seeds[0].end());
  const std::uint8_t payload[] = {'x', 0xde, 0xad, 'y'};
  sockspec::proto::appendFrame(input, sockspec::proto::FrameType::Echo, payload);
  for (std::size_t i = 1; i < seeds.size(); ++i) input.insert(input.end(), seeds[i].begin(), seeds[i].end());
  std::string scenarios = scenarioFor("crash-00000000000000f3", std::string(input.begin(), input.end()), "framed");

  auto correct = runSockspec({"run", scenarios, "--target-cmd", serverCommand("framed")});
  INFO(correct.describe());
  CHECK(correct.exitedWith(0));
  CHECK(correct.out.find("PASS  regression.framed.crash-00000000000000f3[tcp4]") != std::string::npos);
  auto faulty = runSockspec({"run", scenarios, "--target-cmd", serverCommand("framed", "crash-on-bytes")});
  INFO(faulty.describe());
  CHECK(faulty.exitedWith(1));
  CHECK(faulty.out.find("killed by SIGABRT") != std::string::npos);
}

TEST_CASE("target scenarios are skipped without a target, and --write-scenarios refuses what it cannot do",
          "[live][fuzz]") {
  std::string findings = freshFolder("findings");
  writeBytes(findings + "/crash-00000000000000e4", "abc");
  std::string scenarios = tempFilePath("regressions");
  REQUIRE(runSockspec({"replay", findings, "--service", "echo", "--write-scenarios", scenarios}).exitedWith(0));

  auto untargeted = runSockspec({"run", scenarios});
  INFO(untargeted.describe());
  CHECK(untargeted.out.find("SKIP  regression.echo.crash-00000000000000e4[tcp4]  (needs a server under test") !=
        std::string::npos);
  CHECK(untargeted.out.find("PASS") == std::string::npos);

  auto withTarget = runSockspec({"replay", findings, "--service", "echo", "--write-scenarios", scenarios,
                                 "--target", "tcp://127.0.0.1:7"});
  CHECK(withTarget.exitedWith(2));
  CHECK(withTarget.err.find("--write-scenarios sends nothing") != std::string::npos);

  // Writing again gives the same text: left as it is. An edited file is never overwritten.
  auto again = runSockspec({"replay", findings, "--service", "echo", "--write-scenarios", scenarios});
  CHECK(again.exitedWith(0));
  CHECK(again.out.find("unchanged") != std::string::npos);
  std::string file = scenarios + "/regression.echo.crash-00000000000000e4.scn";
  { std::ofstream(file, std::ios::app) << "# edited by hand\n"; }
  auto edited = runSockspec({"replay", findings, "--service", "echo", "--write-scenarios", scenarios});
  CHECK(edited.exitedWith(2));
  CHECK(edited.err.find("exists and differs") != std::string::npos);
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text.find("# edited by hand") != std::string::npos);
}
