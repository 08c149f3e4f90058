// The worked examples of docs/scenario-language.md ("Testing your own server") against the real servers they
// are written for: a line protocol (socat running scenarios/examples/line/line-server.sh), RESP
// (redis-server), HTTP/1.1 (python3 -m http.server) and a length-prefixed binary protocol (the reference
// server's framed service). Each folder must pass as it is; a copy with one wrong expectation must fail with
// the message people read. A server program that is not installed is a skip ("sockspec-test-skipped"), never
// a pass; .ci/setup-debian.sh installs them all.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "support/built_programs.h"
#include "support/program_run.h"
#include "support/test_files.h"

using namespace sockspec::testing;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

std::string examples() {
  return sourceDir() + "/scenarios/examples";
}

// Whether `program` is an executable file in a folder of $PATH.
bool onPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string folders = path != nullptr ? path : "";
  std::size_t start = 0;
  // Bounded by the length of $PATH.
  while (start <= folders.size()) {
    std::size_t end = folders.find(':', start);
    if (end == std::string::npos) end = folders.size();
    std::string candidate = folders.substr(start, end - start) + "/" + program;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

// The --target-cmd of each example folder.
std::string lineServer() {
  return "socat TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork EXEC:'sh " + examples() +
         "/line/line-server.sh'";
}
std::string redisServer() {
  return "redis-server --port {port} --save '' --appendonly no";
}
std::string httpServer() {
  return "python3 -m http.server {port} --bind 127.0.0.1 --directory " + examples() + "/http/site";
}
std::string framedServer() {
  return serverBinary() + " --listen tcp://127.0.0.1:{port} --service framed";
}

ProgramRun runAgainst(const std::string& scenarios, const std::string& targetCommand) {
  return runProgram({sockspecBinary(), "run", scenarios, "--color", "never", "--target-cmd", targetCommand},
                    {}, 60s);
}

// A folder holding only `name`, a copy of `example` with the text `from` replaced by `to` (once).
std::string brokenCopy(const std::string& example, const std::string& name, const std::string& from,
                       const std::string& to) {
  std::string text = readFileOrFail(examples() + "/" + example);
  auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
  std::string folder = tempFilePath("broken-example");
  fs::create_directories(folder);
  writeFileOrFail(folder + "/" + name, text);
  return folder;
}

// Skips (never passes) when the server's program is missing.
bool installed(const std::string& program) {
  if (onPath(program)) return true;
  WARN("sockspec-test-skipped: " << program << " is not installed (.ci/setup-debian.sh installs it)");
  return false;
}

void checkAllPass(const ProgramRun& run, const std::vector<std::string>& ids) {
  INFO(run.out << run.describe());
  CHECK(run.exitedWith(0));
  for (const auto& id : ids) CHECK(run.out.find("PASS  " + id + "[tcp4]") != std::string::npos);
  CHECK(run.out.find(std::to_string(ids.size()) + " passed, 0 failed, 0 skipped") != std::string::npos);
}

}  // namespace

TEST_CASE("the line-protocol examples pass against socat running line-server.sh", "[live][examples]") {
  if (!installed("socat")) return;
  checkAllPass(runAgainst(examples() + "/line", lineServer()),
               {"line.greeting", "line.pipelined", "line.two-clients"});
}

TEST_CASE("the RESP examples pass against redis-server", "[live][examples]") {
  if (!installed("redis-server")) return;
  checkAllPass(runAgainst(examples() + "/resp", redisServer()),
               {"resp.ping", "resp.set-get", "resp.pipelining", "resp.two-clients"});
}

TEST_CASE("the HTTP/1.1 examples pass against python3 -m http.server", "[live][examples]") {
  if (!installed("python3")) return;
  checkAllPass(runAgainst(examples() + "/http", httpServer()),
               {"http.get-file", "http.not-found", "http.two-clients"});
}

TEST_CASE("the length-prefixed examples pass against the reference server's framed service",
          "[live][examples]") {
  checkAllPass(runAgainst(examples() + "/framed", framedServer()), {"framed.session", "framed.errors"});
}

TEST_CASE("the examples shown in docs/scenario-language.md are the files the tests run", "[unit][examples]") {
  const std::string doc = readFileOrFail(sourceDir() + "/docs/scenario-language.md");
  for (const char* example :
       {"line/greeting.scn", "resp/set-get.scn", "http/get-file.scn", "framed/session.scn"}) {
    INFO(example);
    std::string text = readFileOrFail(examples() + "/" + example);
    CHECK(doc.find("```text\n" + text + "```") != std::string::npos);
  }
}

TEST_CASE("an example with a wrong expectation fails, naming the pattern and the bytes got",
          "[live][examples]") {
  SECTION("line: a reply line that differs") {
    if (!installed("socat")) return;
    auto folder = brokenCopy("line/greeting.scn", "greeting.scn", "read-line c -> prefix \"-ERR\"",
                             "read-line c -> prefix \"+OK\"");
    auto run = runAgainst(folder, lineServer());
    INFO(run.out << run.describe());
    CHECK(run.exitedWith(1));
    CHECK(
        run.out.find("greeting.scn:17: read-line c -> prefix \"+OK\": expected prefix \"+OK\", got 22 bytes "
                     "\"-ERR unknown command\\r\\n\"") != std::string::npos);
  }
  SECTION("RESP: a count with bytes") {
    if (!installed("redis-server")) return;
    auto folder = brokenCopy("resp/ping.scn", "ping.scn", "read-line c -> 7 \"+PONG\\r\\n\"",
                             "read-line c -> 7 \"+PANG\\r\\n\"");
    auto run = runAgainst(folder, redisServer());
    INFO(run.out << run.describe());
    CHECK(run.exitedWith(1));
    CHECK(run.out.find("ping.scn:14: read-line c -> 7 \"+PANG\\r\\n\": expected 7 and \"+PANG\\r\\n\", "
                       "got 7 bytes \"+PONG\\r\\n\"") != std::string::npos);
  }
  SECTION("HTTP: the server answers HTTP/1.0, not 1.1") {
    if (!installed("python3")) return;
    auto folder = brokenCopy("http/get-file.scn", "get-file.scn", "HTTP/1\\\\.[01] 200", "HTTP/1\\\\.1 200");
    // send-file's request is read beside the scenario: the copy needs it too.
    writeFileOrFail(folder + "/get-hello.http", readFileOrFail(examples() + "/http/get-hello.http"));
    auto run = runAgainst(folder, httpServer());
    INFO(run.out << run.describe());
    CHECK(run.exitedWith(1));
    CHECK(run.out.find(
              "get-file.scn:13: read-line c -> matches \"^HTTP/1\\\\.1 200 OK\\r\\n$\": expected matches "
              "\"^HTTP/1\\\\.1 200 OK\\r\\n$\", got 17 bytes \"HTTP/1.0 200 OK\\r\\n\"") !=
          std::string::npos);
  }
  SECTION("framed: a frame whose payload differs") {
    auto folder = brokenCopy("framed/session.scn", "session.scn", "\\x03cba", "\\x03abc");
    auto run = runAgainst(folder, framedServer());
    INFO(run.out << run.describe());
    CHECK(run.exitedWith(1));
    CHECK(run.out.find(
              "session.scn:16: read-prefixed c u32be at 2 -> \"\\x13\\x00\\x00\\x00\\x00\\x03abc\": expected "
              "9 bytes \"\\x13\\x00\\x00\\x00\\x00\\x03abc\", got 9 bytes "
              "\"\\x13\\x00\\x00\\x00\\x00\\x03cba\"") != std::string::npos);
  }
}
