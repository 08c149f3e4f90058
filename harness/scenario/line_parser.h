// The parser's insides (private to the scenario library): LineParser reads one tokenized line, a header
// line or a step, and the helpers it shares with parser.cpp. Split by what they read: line_parser.cpp (steps
// and their arguments), expectation_parser.cpp (what follows "->"), header_parser.cpp (header lines).
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "scenario/lexer.h"
#include "scenario/parser.h"
#include "scenario/scenario.h"
#include "scenario/verbs.h"

namespace sockspec::scenario::detail {

// "repeat N STEP": a word before the step, like "NAME =", so not a verb (scenario.h: kMaxRepeat).
inline constexpr std::string_view kRepeatWord = "repeat";

bool isHeaderWord(std::string_view word);
std::string describeToken(const Token& token);
// Integers with an optional binary size suffix: 42, -1, 4KiB, 1MiB.
std::optional<std::int64_t> parseInteger(std::string_view text);
// 500ms, 2s; at most 600 s.
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text);

template <typename Words>
bool contains(const Words& words, std::string_view word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

template <typename Words>
std::string joinWords(const Words& words) {
  std::string text;
  for (std::string_view word : words) text += (text.empty() ? "" : ", ") + std::string(word);
  return text;
}

// The names defined so far, and where, for "already names" and "unknown socket" messages.
using NameTable = std::map<std::string, int, std::less<>>;

// Reads send-file's files: a path relative to the scenario file's folder, through the caller's reader.
struct StepFiles {
  std::filesystem::path folder;  // the scenario file's folder ("" for a bare name: the current directory)
  const FileReader& read;
};

class LineParser {
 public:
  LineParser(std::vector<Token> tokens, const SourcePlace& lineStart, const NameTable& names,
             const ParseLimits& limits, const StepFiles& files)
      : m_tokens(std::move(tokens)), m_line(lineStart), m_names(names), m_limits(limits), m_files(files) {}

  Expected<Step, ParseError> parseStep();
  Expected<bool, ParseError> parseHeader(Scenario& scenario);

 private:
  bool atEnd() const { return m_next >= m_tokens.size(); }
  const Token& peek() const { return m_tokens[m_next]; }
  bool peekIs(Token::Kind kind) const { return !atEnd() && peek().kind == kind; }
  bool peekWord(std::string_view word) const { return peekIs(Token::Kind::Word) && peek().text == word; }
  SourcePlace placeHere() const {
    SourcePlace place = m_line;
    place.column = atEnd() ? m_endColumn() : peek().column;
    return place;
  }
  int m_endColumn() const {
    if (m_tokens.empty()) return 1;
    const Token& last = m_tokens.back();
    return last.column + static_cast<int>(last.kind == Token::Kind::String
                                              ? last.text.size() + 2
                                              : std::max<std::size_t>(last.text.size(), 1));
  }
  Unexpected<ParseError> fail(std::string message) const {
    return Unexpected{ParseError{placeHere(), std::move(message)}};
  }
  Unexpected<ParseError> expected(std::string_view what) const {
    return fail(
        fmt::format("expected {}, found {}", what, atEnd() ? "the end of the line" : describeToken(peek())));
  }

  Expected<std::string, ParseError> parseBytes(int depth);
  Expected<Argument, ParseError> parseParam(const ParamSpec& spec, bool& present);
  Expected<Expectation, ParseError> parseExpectation(const VerbSpec& spec);
  // After "->" (and a count): `prefix "..."`, `contains "..."`, `matches "REGEX"` or plain bytes, if there.
  Expected<std::optional<pattern::BytePattern>, ParseError> parseDataPattern(const VerbSpec& spec);
  Expected<std::string, ParseError> parseString(std::string_view what);
  Expected<Argument, ParseError> parseFile(const ParamSpec& spec);

  std::vector<Token> m_tokens;
  std::size_t m_next = 0;
  SourcePlace m_line;
  const NameTable& m_names;
  const ParseLimits& m_limits;
  const StepFiles& m_files;
};

}  // namespace sockspec::scenario::detail
