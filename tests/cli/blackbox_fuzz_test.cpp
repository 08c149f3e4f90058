// `sockspec fuzz` and `sockspec replay` end to end against the reference server: the crash-on-bytes and
// hang-on-bytes faults must be found and reproduced, the correct server must give nothing, bad command
// lines and unreachable targets must be refused with their exit codes, and no server may be left running.
#include <dirent.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "net/endpoint_sockets.h"
#include "process/child_process.h"
#include "support/built_programs.h"
#include "support/program_run.h"
#include "support/test_files.h"

using namespace sockspec::testing;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

// A server command whose processes can be found again in /proc by a token no other test uses.
struct ServerCommand {
  std::string marker;
  std::string command;
  ServerCommand(const std::string& service, const std::string& fault) {
    marker = tempFilePath("fuzz-target-events", ".jsonl");
    command = serverBinary() + " --listen tcp://127.0.0.1:{port} --service " + service + " --fault " + fault +
              " --events " + marker;
  }
};

// Processes whose command line mentions `token`: a leaked target server would be one.
std::vector<std::string> processesMentioning(const std::string& token) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(token) != std::string::npos) found.push_back(name);
  }
  return found;
}

ProgramRun runSockspec(std::vector<std::string> arguments, std::chrono::milliseconds limit = 90s) {
  std::vector<std::string> argv{sockspecBinary()};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return runProgram(argv, {}, limit);
}

std::vector<std::string> reproducersIn(const std::string& folder) {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().extension() != ".json") files.push_back(entry.path().string());
  }
  return files;
}

bool containsPair(const std::string& bytes, unsigned char first, unsigned char second) {
  for (std::size_t i = 0; i + 1 < bytes.size(); ++i) {
    if (static_cast<unsigned char>(bytes[i]) == first && static_cast<unsigned char>(bytes[i + 1]) == second)
      return true;
  }
  return false;
}

std::string freshFolder(const std::string& stem) {
  std::string folder = tempFilePath(stem);
  fs::create_directories(folder);
  return folder;
}

}  // namespace

TEST_CASE("fuzz finds the echo server's crash on 0xDE 0xAD within 60 s, and replay reproduces it",
          "[live][fuzz]") {
  ServerCommand server("echo", "crash-on-bytes");
  std::string artifacts = freshFolder("crash-artifacts");
  auto fuzz = runSockspec({"fuzz", "--service", "echo", "--max-time", "60", "--max-findings", "1",
                           "--artifacts", artifacts, "--target-cmd", server.command});
  INFO(fuzz.describe() << "\nstdout: " << fuzz.out);
  CHECK(fuzz.exitedWith(1));
  CHECK(fuzz.out.rfind("crash " + artifacts + "/crash-", 0) == 0);
  CHECK(fuzz.out.find("target killed by SIGABRT") != std::string::npos);

  auto files = reproducersIn(artifacts);
  REQUIRE(files.size() == 1);
  std::string bytes = readFileOrFail(files[0]);
  CHECK(containsPair(bytes, 0xDE, 0xAD));
  CHECK(bytes == "\xde\xad");  // shrunk to the trigger itself
  CHECK(fuzz.err.find("shrunk the input from ") != std::string::npos);
  auto sidecar = nlohmann::json::parse(readFileOrFail(files[0] + ".json"));
  CHECK(sidecar["kind"] == "crash");
  CHECK(sidecar["service"] == "echo");
  CHECK(sidecar["input_bytes"] == bytes.size());
  CHECK(processesMentioning(server.marker).empty());

  SECTION("replay against the faulty server: exit 1, crash") {
    auto replay = runSockspec({"replay", files[0], "--target-cmd", server.command}, 30s);
    INFO(replay.describe() << "\nstdout: " << replay.out);
    CHECK(replay.exitedWith(1));
    CHECK(replay.out.find(files[0] + ": crash: target killed by SIGABRT") == 0);
    CHECK(replay.err.find("1 of 1 reproduced") != std::string::npos);
    CHECK(processesMentioning(server.marker).empty());
  }
  SECTION("replay against the correct server: exit 0, no fault, all bytes echoed") {
    ServerCommand correct("echo", "none");
    auto replay = runSockspec({"replay", artifacts, "--target-cmd", correct.command, "--json"}, 30s);
    INFO(replay.describe() << "\nstdout: " << replay.out);
    CHECK(replay.exitedWith(0));
    auto verdicts = nlohmann::json::parse(replay.out);
    REQUIRE(verdicts.size() == 1);
    CHECK(verdicts[0]["verdict"] == "no fault");
    CHECK(verdicts[0]["reproduced"] == false);
    CHECK(verdicts[0]["detail"].get<std::string>().find("echoed, all " + std::to_string(bytes.size()) +
                                                        " bytes back, closed in order") != std::string::npos);
  }
}

TEST_CASE("fuzz finds the hang on 0xBE 0xEF, and replay reproduces it", "[live][fuzz]") {
  ServerCommand server("echo", "hang-on-bytes");
  std::string artifacts = freshFolder("hang-artifacts");
  auto fuzz =
      runSockspec({"fuzz", "--service", "echo", "--max-time", "60", "--max-findings", "1", "--hang-timeout",
                   "300", "--artifacts", artifacts, "--target-cmd", server.command});
  INFO(fuzz.describe() << "\nstdout: " << fuzz.out);
  CHECK(fuzz.exitedWith(1));
  CHECK(fuzz.out.find("no reply and no close within 300 ms") != std::string::npos);
  auto files = reproducersIn(artifacts);
  REQUIRE(files.size() == 1);
  CHECK(fs::path(files[0]).filename().string().rfind("hang-", 0) == 0);
  CHECK(readFileOrFail(files[0]) == "\xbe\xef");  // shrunk to the trigger itself
  CHECK(processesMentioning(server.marker).empty());

  auto replay =
      runSockspec({"replay", files[0], "--hang-timeout", "300", "--target-cmd", server.command}, 30s);
  INFO(replay.describe() << "\nstdout: " << replay.out);
  CHECK(replay.exitedWith(1));
  CHECK(replay.out.find(": hang: no reply and no close within 300 ms") != std::string::npos);
  CHECK(processesMentioning(server.marker).empty());
}

TEST_CASE("fuzz reports nothing against the correct echo and framed servers", "[live][fuzz][slow]") {
  std::string service = GENERATE(as<std::string>{}, "echo", "framed");
  CAPTURE(service);
  ServerCommand server(service, "none");
  std::string artifacts = freshFolder("clean-artifacts");
  auto fuzz = runSockspec({"fuzz", "--service", service, "--max-time", "10", "--artifacts", artifacts,
                           "--target-cmd", server.command});
  INFO(fuzz.describe() << "\nstdout: " << fuzz.out);
  CHECK(fuzz.exitedWith(0));
  CHECK(fuzz.out.empty());
  CHECK(fuzz.err.find(", 0 findings, 0 restarts") != std::string::npos);
  CHECK(fuzz.err.find("sockspec fuzz: done: 0 execs") == std::string::npos);
  CHECK(fs::is_empty(artifacts));
  CHECK(processesMentioning(server.marker).empty());
}

TEST_CASE("fuzz and replay refuse bad command lines with exit 2, naming the option", "[live][fuzz]") {
  std::string artifacts = freshFolder("usage-artifacts");
  ServerCommand server("echo", "none");
  struct Case {
    std::vector<std::string> arguments;
    std::string message;
  };
  auto [arguments, message] = GENERATE_COPY(values<Case>({
      {{"fuzz", "--max-time", "5", "--artifacts", artifacts, "--target-cmd", "x"}, "--service is required"},
      {{"fuzz", "--service", "chargen", "--artifacts", artifacts, "--target-cmd", "x"}, "--service"},
      {{"fuzz", "--service", "echo", "--artifacts", artifacts},
       "--target-cmd CMD or --target URL is required"},
      {{"fuzz", "--service", "echo", "--max-time", "0", "--artifacts", artifacts, "--target-cmd", "x"},
       "--max-time"},
      {{"fuzz", "--service", "echo", "--max-findings", "-1", "--artifacts", artifacts, "--target-cmd", "x"},
       "--max-findings -1: expected 0 (fuzz until --max-time) or more"},
      {{"fuzz", "--service", "echo", "--artifacts", artifacts, "--target", "tcp://127.0.0.1:{port}"},
       "--target tcp://127.0.0.1:{port}: {port} needs --target-cmd"},
      {{"fuzz", "--service", "echo", "--artifacts", artifacts, "--target", "tcp://127.0.0.1:99999"},
       "--target: endpoint 'tcp://127.0.0.1:99999', column 17: port 99999 is out of range"},
      {{"fuzz", "--service", "echo", "--artifacts", "/proc/no-such/dir", "--target-cmd", "x"},
       "--artifacts /proc/no-such/dir"},
      {{"fuzz", "--service", "echo", "--max-time", "5", "--artifacts", artifacts, "--target-cmd", "false"},
       "target command exited (exit 1) before serving"},
      {{"replay", "/no/such/reproducer", "--target", "tcp://127.0.0.1:1"},
       "/no/such/reproducer: no such file"},
      {{"replay", artifacts + "/..", "--service", "echo"}, "--target-cmd CMD or --target URL is required"},
  }));
  CAPTURE(arguments);
  auto run = runSockspec(arguments, 30s);
  INFO(run.describe());
  CHECK(run.exitedWith(2));
  CHECK(run.err.find(message) != std::string::npos);
  CHECK(fs::is_empty(artifacts));
}

TEST_CASE("an unreachable --target is exit 2 naming the endpoint and errno", "[live][fuzz]") {
  // A port that was free a moment ago: bound, then closed, so nothing listens there.
  auto bound = sockspec::net::bindEndpoint(*sockspec::net::parseEndpoint("tcp://127.0.0.1:0"));
  REQUIRE(bound);
  std::string url = "tcp://127.0.0.1:" + std::to_string(bound->local.port);
  bound->fd.reset();
  std::string artifacts = freshFolder("unreachable-artifacts");
  std::string reproducer = tempFilePath("reproducer");
  writeFileOrFail(reproducer, "hi");

  auto fuzz = runSockspec(
      {"fuzz", "--service", "echo", "--max-time", "5", "--artifacts", artifacts, "--target", url});
  INFO(fuzz.describe());
  CHECK(fuzz.exitedWith(2));
  CHECK(fuzz.err.find("--target unreachable: " + url + ": connect: ECONNREFUSED") != std::string::npos);
  auto replay = runSockspec({"replay", reproducer, "--service", "echo", "--target", url}, 30s);
  INFO(replay.describe());
  CHECK(replay.exitedWith(2));
  CHECK(replay.err.find("--target unreachable: " + url + ": connect: ECONNREFUSED") != std::string::npos);
}

TEST_CASE("replay over --target alone: a kept reproducer that no longer crashes is exit 0", "[live][fuzz]") {
  auto server = startReferenceServer("tcp://127.0.0.1:0", "echo");
  std::string reproducer = tempFilePath("reproducer");
  writeFileOrFail(reproducer, std::string("\x01\xde\xad\x02", 4));
  auto replay =
      runSockspec({"replay", reproducer, "--service", "echo", "--target", server.endpoint.toString()}, 30s);
  INFO(replay.describe());
  CHECK(replay.exitedWith(0));
  CHECK(replay.out == reproducer + ": no fault: sent 4 bytes, echoed, all 4 bytes back, closed in order\n");
}

TEST_CASE("Ctrl-C stops fuzz with exit 130, the findings so far listed and no server left", "[live][fuzz]") {
  ServerCommand server("echo", "none");
  std::string artifacts = freshFolder("interrupt-artifacts");
  sockspec::process::SpawnOptions spawn;
  spawn.captureStdout = true;
  spawn.captureStderr = true;
  auto fuzz = sockspec::process::ChildProcess::spawn(
      {sockspecBinary(), "fuzz", "--service", "echo", "--max-time", "120", "--artifacts", artifacts,
       "--target-cmd", server.command},
      spawn);
  REQUIRE(fuzz);
  // The first progress line says the worker is fuzzing; the interrupt comes after it, whenever that is.
  std::string err;
  sockspec::Deadline started = sockspec::Deadline::after(30s);
  while (err.find("sockspec fuzz: fuzzing ") == std::string::npos && !started.expired() &&
         !fuzz->hasExited()) {
    err += fuzz->readAllStderr(sockspec::Deadline::after(100ms));
  }
  REQUIRE(err.find("sockspec fuzz: fuzzing ") != std::string::npos);
  fuzz->signal(SIGINT);
  auto status = fuzz->wait(sockspec::Deadline::after(30s));
  err += fuzz->readAllStderr(sockspec::Deadline::after(1s));
  INFO(err);
  REQUIRE(status);
  CHECK(status->exited);
  CHECK(status->code == 130);
  CHECK(err.find("sockspec fuzz: interrupted: ") != std::string::npos);
  CHECK(processesMentioning(server.marker).empty());
}
