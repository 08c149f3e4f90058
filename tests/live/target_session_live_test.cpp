// process::TargetSession, the one server under test of run, fuzz and replay: a URL is probed (stream) or
// taken as given (datagram) and can never be restarted; a command is started on a free port, its {events}
// log lives in the session's own folder, its end is reported, and nothing of it outlives the session.
#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>

#include "net/endpoint_sockets.h"
#include "process/target_session.h"
#include "support/built_programs.h"
#include "support/test_files.h"

using namespace sockspec;
using namespace std::chrono_literals;

namespace {

process::TargetSpec referenceServer(const std::string& extra = "") {
  process::TargetSpec spec;
  spec.command = testing::serverBinary() + " --listen tcp://127.0.0.1:{port} --service echo" + extra;
  spec.eventsLog = true;
  spec.stopGrace = 500ms;
  return spec;
}

}  // namespace

TEST_CASE("a --target URL is probed when it is a stream, and a refusal names the endpoint and errno") {
  // A port that was free a moment ago: bound, then closed, so nothing listens there.
  auto bound = net::bindEndpoint(*net::parseEndpoint("tcp://127.0.0.1:0"));
  REQUIRE(bound);
  std::string url = "tcp://127.0.0.1:" + std::to_string(bound->local.port);
  bound->fd.reset();
  process::TargetSpec spec;
  spec.url = url;
  auto refused = process::TargetSession::open(spec);
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == "--target unreachable: " + url + ": connect: ECONNREFUSED (Connection refused)");
  spec.url = "tcp://127.0.0.1:99999";
  CHECK(process::TargetSession::open(spec).error().starts_with("--target: endpoint 'tcp://127.0.0.1:99999'"));
}

TEST_CASE("a datagram --target is taken as given, and a server sockspec did not start cannot be restarted") {
  process::TargetSpec spec;
  spec.url = "udp://127.0.0.1:9";
  auto session = process::TargetSession::open(spec);
  REQUIRE(session);
  CHECK_FALSE(session->startedByUs());
  CHECK(session->describe() == "udp://127.0.0.1:9");
  auto restarted = session->restart();
  REQUIRE_FALSE(restarted);
  CHECK(restarted.error() == "udp://127.0.0.1:9 was not started by sockspec and cannot be restarted");
  CHECK_FALSE(session->stop());
  CHECK_FALSE(session->checkEventsLog());  // no {events} in its command: no log to check
}

TEST_CASE("a started server writes its {events} log in the session's folder, which goes with the session") {
  std::string eventsPath;
  {
    auto session = process::TargetSession::open(referenceServer(" --events {events}"));
    REQUIRE(session);
    CHECK(session->startedByUs());
    eventsPath = session->eventsLogPath();
    REQUIRE_FALSE(eventsPath.empty());
    CHECK(session->describe().find(eventsPath) != std::string::npos);  // {events} was filled in
    CHECK_FALSE(session->probe());
    CHECK_FALSE(session->stop());  // it was still running: nothing to report
    CHECK(testing::pathExists(eventsPath));  // kept until the session goes, for the lifecycle check
    auto order = session->checkEventsLog();
    REQUIRE(order);
    CHECK(order->calls >= 4);  // socket, bind, listen, then accept and close of the probe connection
    CHECK(order->violations.empty());
  }
  CHECK_FALSE(testing::pathExists(eventsPath));
  CHECK_FALSE(testing::pathExists(std::filesystem::path(eventsPath).parent_path().string()));
}

TEST_CASE("a started server that dies is reported, and restart brings up a fresh one that serves") {
  auto session = process::TargetSession::open(referenceServer());
  REQUIRE(session);
  REQUIRE(::kill(session->pid(), SIGKILL) == 0);
  auto how = session->endedHow(5s);
  REQUIRE(how);
  CHECK(*how == "killed by SIGKILL");
  REQUIRE(session->restart());
  CHECK_FALSE(session->probe());
  CHECK_FALSE(session->describeExit());
  CHECK(session->endpoint().port != 0);
  auto ended = session->stop();
  CHECK_FALSE(ended);
}
