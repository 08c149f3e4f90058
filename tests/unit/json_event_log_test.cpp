// JsonEventLog: every socket-layer call becomes one JSON line (docs/events.md) that reads back with the call,
// fd, result and errno name; hostile bytes in a unix path never throw.
#include "events/json_event_log.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "net/socket_ops.h"
#include "support/built_programs.h"
#include "unit/loopback_fixtures.h"

namespace sockspec {
namespace {

using events::JsonEventLog;
using events::ScopedCallObserver;
using nlohmann::json;

std::string tempLogPath(const std::string& stem) {
  return testing::tempSocketPath(stem) + ".jsonl";
}

std::unique_ptr<JsonEventLog> openOrFail(const std::string& path) {
  auto log = JsonEventLog::open(path, "unit-test");
  if (!log) FAIL(log.error());
  return std::move(*log);
}

// The file as JSON values, one per line; FAILs on a line that is not valid JSON or a missing final newline.
std::vector<json> readJsonLines(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::vector<json> lines;
  if (text.empty()) return lines;
  REQUIRE(text.back() == '\n');
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    INFO("line " << lines.size() + 1 << ": " << line);
    REQUIRE(json::accept(line));  // strict: invalid UTF-8 is refused here
    lines.push_back(json::parse(line));
    start = end + 1;
  }
  return lines;
}

TEST_CASE("each socket call becomes one JSON line with call, fd, result and errno name", "[events]") {
  std::string path = tempLogPath("calls");
  auto log = openOrFail(path);
  int raw = -1;
  {
    ScopedCallObserver installed(log.get());
    auto fd = testing::openOrFail(AF_INET, SOCK_DGRAM);
    raw = fd.get();
    REQUIRE(net::bindSocket(raw, testing::sockAddrOf("udp://127.0.0.1:0")));
    CHECK(testing::errnoOf(net::sendBytes(raw, net::asBytes("x"))) == "EDESTADDRREQ");
    REQUIRE(net::closeSocket(fd));
  }
  REQUIRE(net::currentCallObserver() == nullptr);
  auto after = testing::openOrFail(AF_INET, SOCK_DGRAM);  // not logged: the observer is gone

  auto lines = readJsonLines(path);
  REQUIRE(lines.size() == 4);
  CHECK(log->linesWritten() == 4);
  for (const auto& line : lines) {
    CHECK(line["program"] == "unit-test");
    CHECK(line["pid"] == ::getpid());
    CHECK(line["t_ns"].is_number_integer());
    CHECK(line["args"].is_object());
  }
  CHECK(lines[0]["t_ns"] <= lines[3]["t_ns"]);

  CHECK(lines[0]["call"] == "socket");
  CHECK(lines[0]["fd"] == -1);
  CHECK(lines[0]["result"] == raw);
  CHECK(lines[0]["errno"].is_null());
  CHECK(lines[0]["args"]["family"] == "AF_INET");
  CHECK(lines[0]["args"]["type"] == "SOCK_DGRAM");

  CHECK(lines[1]["call"] == "bind");
  CHECK(lines[1]["fd"] == raw);
  CHECK(lines[1]["result"] == 0);
  CHECK(lines[1]["errno"].is_null());
  CHECK(lines[1]["args"]["address"] == "127.0.0.1:0");

  CHECK(lines[2]["call"] == "send");
  CHECK(lines[2]["fd"] == raw);
  CHECK(lines[2]["result"] == -1);
  CHECK(lines[2]["errno"] == "EDESTADDRREQ");
  CHECK(lines[2]["args"]["length"] == 1);
  CHECK(lines[2]["args"]["flags"] == MSG_NOSIGNAL);

  CHECK(lines[3]["call"] == "close");
  CHECK(lines[3]["fd"] == raw);
  CHECK(lines[3]["result"] == 0);
  CHECK(lines[3]["errno"].is_null());
}

TEST_CASE("invalid UTF-8 in a unix path is logged, replaced, without throwing", "[events][utf8]") {
  std::string logPath = tempLogPath("utf8");
  auto log = openOrFail(logPath);
  // A unix path is any bytes but NUL; JSON strings are UTF-8.
  std::string socketPath = testing::tempSocketPath("bad") + "-\xff\xfe\xc3(";
  net::Endpoint endpoint;
  endpoint.transport = net::Transport::UnixStream;
  endpoint.path = socketPath;
  auto address = net::toSockAddr(endpoint);
  REQUIRE(address);
  {
    ScopedCallObserver installed(log.get());
    auto fd = testing::openOrFail(AF_UNIX, SOCK_STREAM);
    REQUIRE_NOTHROW([&] { REQUIRE(net::bindSocket(fd.get(), *address)); }());
    REQUIRE_NOTHROW(log->note("peer", "sent \xff\xfe"));
  }
  ::unlink(socketPath.c_str());

  auto lines = readJsonLines(logPath);
  REQUIRE(lines.size() == 3);
  REQUIRE(lines[1]["call"] == "bind");
  auto logged = lines[1]["args"]["address"].get<std::string>();
  CHECK(logged.find("\xef\xbf\xbd") != std::string::npos);  // U+FFFD REPLACEMENT CHARACTER
  CHECK(logged.rfind(socketPath.substr(0, socketPath.find('\xff')), 0) == 0);
  CHECK(lines[2]["detail"] == "sent \xef\xbf\xbd\xef\xbf\xbd");
}

TEST_CASE("note writes a non-socket event in the same stream", "[events]") {
  std::string path = tempLogPath("note");
  auto log = openOrFail(path);
  log->note("signal", "SIGTERM");
  auto lines = readJsonLines(path);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["event"] == "signal");
  CHECK(lines[0]["detail"] == "SIGTERM");
  CHECK(lines[0]["program"] == "unit-test");
  CHECK_FALSE(lines[0].contains("call"));
}

TEST_CASE("open truncates an existing log", "[events]") {
  std::string path = tempLogPath("truncate");
  std::ofstream(path) << "{\"old\": true}\n{\"old\": true}\n";
  auto log = openOrFail(path);
  log->note("start", "");
  auto lines = readJsonLines(path);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["event"] == "start");
}

TEST_CASE("open fails with the path and the errno name", "[events]") {
  std::string path = testing::tempSocketPath("no-such-directory") + "/events.jsonl";
  auto log = JsonEventLog::open(path, "unit-test");
  REQUIRE_FALSE(log);
  CHECK(log.error() == path + ": open: ENOENT (No such file or directory)");
}

TEST_CASE("lines written from several threads never interleave", "[events][threads]") {
  std::string path = tempLogPath("threads");
  auto log = openOrFail(path);
  constexpr int kThreads = 4;
  constexpr int kNotes = 250;
  {
    std::vector<std::thread> writers;
    for (int t = 0; t < kThreads; ++t) {
      writers.emplace_back([&log, t] {
        for (int i = 0; i < kNotes; ++i) log->note("thread", std::to_string(t) + ":" + std::string(200, 'x'));
      });
    }
    for (auto& writer : writers) writer.join();
  }
  auto lines = readJsonLines(path);
  CHECK(lines.size() == kThreads * kNotes);
  CHECK(log->linesWritten() == kThreads * kNotes);
}

}  // namespace
}  // namespace sockspec
