#include "base/display_escape.h"
#include "base/errno_names.h"
#include "scenario/line_parser.h"
#include "scenario/symbols.h"
#include "scenario/tcp_states.h"

namespace sockspec::scenario::detail {

namespace {

constexpr std::array<std::string_view, 4> kExpectationWords{"ok", "eof", "blocks", "any"};

}  // namespace

Expected<std::optional<pattern::BytePattern>, ParseError> LineParser::parseDataPattern(const VerbSpec& spec) {
  const SourcePlace place = placeHere();
  pattern::PatternKind kind = pattern::PatternKind::Exact;
  if (peekIs(Token::Kind::Word)) {
    auto matcher = valueOf(dataMatchers(), peek().text);
    if (!matcher) return std::optional<pattern::BytePattern>{};
    kind = *matcher;
    ++m_next;
    if (!peekIs(Token::Kind::String) && !peekIs(Token::Kind::LeftParen)) {
      return expected(
          fmt::format("the bytes after '{}' (a string such as \"+OK\")", pattern::patternKindName(kind)));
    }
  } else if (!peekIs(Token::Kind::String) && !peekIs(Token::Kind::LeftParen)) {
    return std::optional<pattern::BytePattern>{};
  }
  if (spec.yields != Yields::Data && spec.yields != Yields::DataAndMessageFlags) {
    return Unexpected{
        ParseError{place, fmt::format("'{}' reads no bytes to match: only recv, recvmsg and the read "
                                      "verbs do",
                                      spec.name)}};
  }
  const SourcePlace textPlace = placeHere();
  auto bytes = parseBytes(0);
  if (!bytes) return Unexpected{bytes.error()};
  auto made = pattern::BytePattern::make(kind, std::move(*bytes));
  if (!made) {
    return Unexpected{ParseError{textPlace, fmt::format("not a regular expression RE2 accepts: {}",
                                                        escapeForDisplay(made.error(), 200))}};
  }
  return std::optional<pattern::BytePattern>{std::move(*made)};
}

Expected<Expectation, ParseError> LineParser::parseExpectation(const VerbSpec& spec) {
  Expectation expect;
  expect.place = placeHere();
  bool isCheck = spec.yields == Yields::KernelState;
  auto readFlags = [&]() -> Expected<bool, ParseError> {
    while (peekIs(Token::Kind::Word)) {
      if (!contains(reportedFlagNames(), peek().text)) {
        return expected(fmt::format("a msg_flags name ({})", joinWords(reportedFlagNames())));
      }
      if (spec.yields != Yields::DataAndMessageFlags) return fail("only recvmsg reports msg_flags");
      expect.flags.push_back(peek().text);
      ++m_next;
    }
    return true;
  };
  if (peekIs(Token::Kind::Number)) {
    auto value = parseInteger(peek().text);
    if (!value) return fail(fmt::format("'{}' is not a number", escapeForDisplay(peek().text, 40)));
    expect.kind = Expectation::Kind::Count;
    expect.count = *value;
    ++m_next;
    // "-> 7 \"+PONG\r\n\"", "-> 7 prefix \"+P\"": the count and the bytes in one step.
    auto data = parseDataPattern(spec);
    if (!data) return Unexpected{data.error()};
    expect.data = std::move(*data);
    if (auto flags = readFlags(); !flags) return Unexpected{flags.error()};
    return expect;
  }
  {
    auto data = parseDataPattern(spec);
    if (!data) return Unexpected{data.error()};
    if (*data) {
      expect.kind = Expectation::Kind::Bytes;
      expect.data = std::move(*data);
      if (auto flags = readFlags(); !flags) return Unexpected{flags.error()};
      return expect;
    }
  }
  if (!peekIs(Token::Kind::Word)) {
    return expected(
        "an expectation: ok, a count, an errno name (ECONNRESET|EPIPE), \"bytes\", eof, blocks or any");
  }
  const std::string& word = peek().text;
  if (word == "ok")
    expect.kind = Expectation::Kind::Success;
  else if (word == "eof")
    expect.kind = Expectation::Kind::Eof;
  else if (word == "blocks")
    expect.kind = Expectation::Kind::Blocks;
  else if (word == "any")
    expect.kind = Expectation::Kind::Any;
  if (contains(kExpectationWords, word)) {
    ++m_next;
    return expect;
  }
  if (errnoFromName(word)) {
    expect.kind = Expectation::Kind::Errno;
    expect.errnos.push_back(word);
    ++m_next;
    while (peekIs(Token::Kind::Bar)) {
      ++m_next;
      if (!peekIs(Token::Kind::Word) || !errnoFromName(peek().text))
        return expected("an errno name after '|'");
      expect.errnos.push_back(peek().text);
      ++m_next;
    }
    return expect;
  }
  if (isCheck && (isTcpStateName(word) || word == "yes" || word == "no")) {
    expect.kind = Expectation::Kind::Word;
    expect.word = word;
    ++m_next;
    return expect;
  }
  if (word.size() > 1 && word[0] == 'E' && std::all_of(word.begin(), word.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      })) {
    return fail(fmt::format("'{}' is not an errno name on this system", escapeForDisplay(word, 40)));
  }
  return expected(
      isCheck ? "a value: a number, an errno name, a TCP state (ESTABLISHED, SYN_SENT, ...), yes or no"
              : "an expectation: ok, a count, an errno name, \"bytes\", eof, blocks or any");
}

}  // namespace sockspec::scenario::detail
