// The server profile's reply scanner (suites/server_exchange.h, private to the suites): replies are the
// shortest prefixes the pattern matches, one after another, found as the bytes grow.
#include <catch2/catch.hpp>
#include <string>

#include "suites/server_exchange.h"

using sockspec::pattern::BytePattern;
using sockspec::pattern::PatternKind;
using sockspec::suites::server::kMaxReplyBytes;
using sockspec::suites::server::ReplyScanner;

namespace {

BytePattern make(PatternKind kind, std::string text) {
  auto pattern = BytePattern::make(kind, std::move(text));
  REQUIRE(pattern.ok());
  return *pattern;
}

}  // namespace

TEST_CASE("replies are counted as the bytes arrive, each the shortest prefix that matches",
          "[reply-scanner]") {
  auto pong = make(PatternKind::Regex, R"(^\+PONG\r\n$)");
  ReplyScanner scanner(pong);
  std::string bytes = "+PO";
  CHECK(scanner.scan(bytes) == 0);
  bytes += "NG\r\n+PONG\r";
  CHECK(scanner.scan(bytes) == 1);
  CHECK(scanner.consumed() == 7);
  bytes += "\n+PONG\r\n";
  CHECK(scanner.scan(bytes) == 3);
  CHECK(scanner.consumed() == bytes.size());
}

TEST_CASE("a reply of unknown length: the pattern says where it ends", "[reply-scanner]") {
  // A redis bulk string: "$5\r\nhello\r\n".
  auto bulk = make(PatternKind::Regex, R"(^\$[0-9]+\r\n[^\r]*\r\n$)");
  ReplyScanner scanner(bulk);
  CHECK(scanner.scan("$5\r\nhello\r\n$2\r\nhi\r\n") == 2);
  auto exact = BytePattern::exact("OK\n");
  ReplyScanner exactScanner(exact);
  CHECK(exactScanner.scan("OK\nOK\nOK") == 2);
  CHECK(exactScanner.scan("OK\nOK\nOK\n") == 3);
}

TEST_CASE("bytes that match nothing are found out after kMaxReplyBytes", "[reply-scanner]") {
  auto pong = make(PatternKind::Regex, R"(^\+PONG\r\n$)");
  ReplyScanner scanner(pong);
  std::string junk(kMaxReplyBytes, 'x');
  CHECK(scanner.scan(junk) == 0);
  CHECK_FALSE(scanner.unmatchable(junk));
  junk += 'x';
  CHECK(scanner.scan(junk) == 0);
  CHECK(scanner.unmatchable(junk));
}
