// The --events lifecycle-order check: a legal log passes; each kind of wrong order is named with its line.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "events/lifecycle_order.h"

using sockspec::events::checkLifecycleOrder;

namespace {

std::string call(const char* name, int fd, long result, const char* args = "{}") {
  return std::string(R"({"t_ns":1,"pid":10,"program":"p","call":")") + name + R"(","fd":)" + std::to_string(fd) +
         R"(,"args":)" + args + R"(,"result":)" + std::to_string(result) + R"(,"errno":null})" + "\n";
}

sockspec::events::OrderReport check(const std::string& text) {
  std::istringstream in(text);
  return checkLifecycleOrder(in);
}

}  // namespace

TEST_CASE("a server's legal lifecycle has no violations") {
  std::string log = call("socket", -1, 3, R"({"type":"SOCK_STREAM"})") + call("bind", 3, 0) + call("listen", 3, 0) +
                    call("accept", 3, 4) + call("recv", 4, 5) + call("send", 4, 5) + call("recv", 4, 0) +
                    call("close", 4, 0) + call("accept", 3, 4) + call("close", 4, 0) +
                    R"({"t_ns":2,"pid":10,"program":"p","event":"signal","detail":"SIGTERM"})" "\n" +
                    call("close", 3, 0);
  auto report = check(log);
  CHECK(report.calls == 11);
  CHECK(report.violations.empty());
  CHECK(report.unreadable.empty());
}

TEST_CASE("calls out of order are reported with their line") {
  SECTION("accept before listen") {
    auto report = check(call("socket", -1, 3) + call("bind", 3, 0) + call("accept", 3, 4));
    REQUIRE(report.violations.size() == 1);
    CHECK(report.violations[0].line == 3);
    CHECK(report.violations[0].message == "accept on fd 3 that is bound, not listening");
  }
  SECTION("send after close") {
    auto report = check(call("socket", -1, 3) + call("connect", 3, 0) + call("close", 3, 0) + call("send", 3, -1));
    REQUIRE(report.violations.size() == 1);
    CHECK(report.violations[0].message == "send on fd 3 after its close (line 3)");
  }
  SECTION("recv before connect") {
    auto report = check(call("socket", -1, 5, R"({"type":"SOCK_STREAM"})") + call("recv", 5, 0));
    REQUIRE(report.violations.size() == 1);
    CHECK(report.violations[0].message == "recv on fd 5 that is created, not connected");
  }
  SECTION("bind twice") {
    auto report = check(call("socket", -1, 3) + call("bind", 3, 0) + call("bind", 3, 0));
    REQUIRE(report.violations.size() == 1);
    CHECK(report.violations[0].message == "bind on fd 3 that is already bound");
  }
  SECTION("a descriptor nobody opened") {
    auto report = check(call("close", 9, 0));
    REQUIRE(report.violations.size() == 1);
    CHECK(report.violations[0].message == "close on fd 9 on a descriptor no socket or accept call opened");
  }
}

TEST_CASE("a reused descriptor number starts a new life, and unreadable lines are reported, not thrown") {
  auto report = check(call("socket", -1, 3) + call("connect", 3, 0) + call("close", 3, 0) + call("socket", -1, 3) +
                      call("bind", 3, 0) + "not json\n" + R"({"call":1})" "\n");
  CHECK(report.violations.empty());
  REQUIRE(report.unreadable.size() == 2);
  CHECK(report.unreadable[0].line == 6);
}
