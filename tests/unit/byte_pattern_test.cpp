#include <catch2/catch.hpp>

#include <string>

#include "pattern/byte_pattern.h"

using sockspec::pattern::BytePattern;
using sockspec::pattern::PatternKind;

namespace {

BytePattern make(PatternKind kind, std::string text) {
  auto pattern = BytePattern::make(kind, std::move(text));
  REQUIRE(pattern.ok());
  return *pattern;
}

}  // namespace

TEST_CASE("exact, prefix and contains compare bytes, NULs included", "[pattern]") {
  CHECK(BytePattern::exact("+PONG\r\n").matches("+PONG\r\n"));
  CHECK_FALSE(BytePattern::exact("+PONG\r\n").matches("+PONG\n"));
  CHECK_FALSE(BytePattern::exact("+PONG").matches("+PONG\r\n"));
  CHECK(make(PatternKind::Prefix, "HTTP/1.1 ").matches("HTTP/1.1 200 OK\r\n"));
  CHECK_FALSE(make(PatternKind::Prefix, "HTTP/1.1 ").matches("HTTP/1.0 200 OK"));
  CHECK_FALSE(make(PatternKind::Prefix, "HTTP/1.1 ").matches("HTTP"));  // shorter than the prefix
  CHECK(make(PatternKind::Contains, std::string("a\0b", 3)).matches(std::string("xxa\0byy", 7)));
  CHECK_FALSE(make(PatternKind::Contains, std::string("a\0b", 3)).matches("xxabyy"));
}

TEST_CASE("a regex searches the bytes unanchored; ^ and $ anchor at the very ends", "[pattern]") {
  auto pong = make(PatternKind::Regex, R"(^\+PONG\r\n$)");
  CHECK(pong.matches("+PONG\r\n"));
  CHECK_FALSE(pong.matches("+PONG\r\n\r\n"));  // $ is the end of the bytes, not before a final newline
  CHECK_FALSE(pong.matches("x+PONG\r\n"));
  auto status = make(PatternKind::Regex, R"(HTTP/1\.[01] [0-9]{3} )");
  CHECK(status.matches("junk HTTP/1.0 404 Not Found"));
  CHECK_FALSE(status.matches("HTTP/2 200 "));
}

TEST_CASE("a regex matches bytes that are not UTF-8", "[pattern]") {
  auto binary = make(PatternKind::Regex, R"(^\x00\x05.{5}$)");
  CHECK(binary.matches(std::string("\x00\x05\xff\xfe\x80\x00\x01", 7)));
  CHECK_FALSE(binary.matches(std::string("\x00\x05\xff\xfe\x80\x00", 6)));
  CHECK(make(PatternKind::Regex, "\xe9").matches("caf\xe9"));  // a Latin-1 byte, not a broken UTF-8 sequence
}

TEST_CASE("a regex RE2 rejects is an error naming the reason, never a crash", "[pattern]") {
  auto unbalanced = BytePattern::make(PatternKind::Regex, "(ab");
  REQUIRE_FALSE(unbalanced.ok());
  CHECK_THAT(unbalanced.error(), Catch::Contains("missing )"));
  // Backreferences need backtracking, which RE2 does not do.
  CHECK_FALSE(BytePattern::make(PatternKind::Regex, R"((a)\1)").ok());
  // A program over the memory budget is refused rather than built.
  CHECK_FALSE(BytePattern::make(PatternKind::Regex, "((((a{100}){100}){100}){100})").ok());
}

TEST_CASE("a pathological pattern over a long input runs in linear time", "[pattern]") {
  // (a+)+b over "aaaa...a" is exponential for a backtracking engine; RE2 answers at once.
  auto pattern = make(PatternKind::Regex, "^(a+)+b$");
  CHECK_FALSE(pattern.matches(std::string(100000, 'a')));
}

TEST_CASE("describe writes the pattern as the language does", "[pattern]") {
  CHECK(BytePattern::exact("hi\n").describe() == "\"hi\\n\"");
  CHECK(make(PatternKind::Prefix, "+OK").describe() == "prefix \"+OK\"");
  CHECK(make(PatternKind::Regex, "^a$").describe() == "matches \"^a$\"");
}
