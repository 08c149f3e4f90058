#include "scenario/parser.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <filesystem>
#include <map>

#include <sys/socket.h>

#include <fmt/format.h>

#include "base/display_escape.h"
#include "base/errno_names.h"
#include "base/file_bytes.h"
#include "scenario/lexer.h"
#include "scenario/symbols.h"
#include "scenario/tcp_states.h"
#include "scenario/verbs.h"

namespace sockspec::scenario {

std::string ParseError::describe() const {
  return fmt::format("{}:{}:{}: {}", place.file, place.line, place.column, message);
}

namespace {

constexpr std::array<std::string_view, 7> kHeaderWords{"scenario", "title",    "families", "claim",
                                                       "source",   "requires", "sysctl"};
constexpr std::array<std::string_view, 3> kRequirementWords{"netns", "root", "target"};
constexpr std::array<std::string_view, 4> kExpectationWords{"ok", "eof", "blocks", "any"};
// "repeat N STEP": a word before the step, like "NAME =", so not a verb (scenario.h: kMaxRepeat).
constexpr std::string_view kRepeatWord = "repeat";

bool isHeaderWord(std::string_view word) {
  return std::find(kHeaderWords.begin(), kHeaderWords.end(), word) != kHeaderWords.end();
}

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

std::string describeToken(const Token& token) {
  switch (token.kind) {
    case Token::Kind::Word:
    case Token::Kind::Number:
      return fmt::format("'{}'", escapeForDisplay(token.text, 40));
    case Token::Kind::String: return "a string";
    case Token::Kind::Equals: return "'='";
    case Token::Kind::Arrow: return "'->'";
    case Token::Kind::Star: return "'*'";
    case Token::Kind::LeftParen: return "'('";
    case Token::Kind::RightParen: return "')'";
    case Token::Kind::Bar: return "'|'";
  }
  return "a token";
}

bool isValidId(std::string_view id) {
  if (id.empty() || id.size() > 80) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
  });
}

// Integers with an optional binary size suffix: 42, -1, 4KiB, 1MiB.
std::optional<std::int64_t> parseInteger(std::string_view text) {
  std::int64_t multiplier = 1;
  std::size_t digitsEnd = text.size();
  for (auto [suffix, factor] : {std::pair<std::string_view, std::int64_t>{"KiB", 1024}, {"MiB", 1024 * 1024}}) {
    if (text.size() > suffix.size() && text.ends_with(suffix)) {
      multiplier = factor;
      digitsEnd = text.size() - suffix.size();
    }
  }
  std::string_view digits = text.substr(0, digitsEnd);
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size() || digits.empty()) return std::nullopt;
  if (value > INT64_MAX / multiplier || value < INT64_MIN / multiplier) return std::nullopt;
  return value * multiplier;
}

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text) {
  std::int64_t factor = 0;
  std::string_view digits;
  if (text.ends_with("ms")) {
    factor = 1, digits = text.substr(0, text.size() - 2);
  } else if (text.ends_with("s")) {
    factor = 1000, digits = text.substr(0, text.size() - 1);
  } else {
    return std::nullopt;
  }
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || end != digits.data() + digits.size() || digits.empty()) return std::nullopt;
  // A scenario step never needs more than ten minutes; a larger number is a typo.
  if (value < 0 || value > 600'000 / factor) return std::nullopt;
  return std::chrono::milliseconds(value * factor);
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
    return last.column + static_cast<int>(last.kind == Token::Kind::String ? last.text.size() + 2
                                                                            : std::max<std::size_t>(last.text.size(), 1));
  }
  Unexpected<ParseError> fail(std::string message) const { return Unexpected{ParseError{placeHere(), std::move(message)}}; }
  Unexpected<ParseError> expected(std::string_view what) const {
    return fail(fmt::format("expected {}, found {}", what, atEnd() ? "the end of the line" : describeToken(peek())));
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

// `unit` repeated `count` times, by doubling: "x" * 16MiB is 24 copies, not 16 million appends (the
// scenario_parser fuzz target timed out on a few such lines).
std::string repeatBytes(const std::string& unit, std::size_t count) {
  std::string repeated;
  if (unit.empty() || count == 0) return repeated;
  const std::size_t total = unit.size() * count;
  repeated.reserve(total);
  repeated = unit;
  while (repeated.size() < total) {
    // Appends from its own front: no reallocation (reserved), and the two ranges do not overlap.
    repeated.append(repeated.data(), std::min(repeated.size(), total - repeated.size()));
  }
  return repeated;
}

Expected<std::string, ParseError> LineParser::parseBytes(int depth) {
  std::string value;
  bool any = false;
  while (peekIs(Token::Kind::String) || peekIs(Token::Kind::LeftParen)) {
    any = true;
    std::string unit;
    if (peekIs(Token::Kind::String)) {
      unit = peek().text;
      ++m_next;
    } else {
      if (depth + 1 > kMaxNesting) return fail(fmt::format("parentheses nest more than {} deep", kMaxNesting));
      ++m_next;
      auto inner = parseBytes(depth + 1);
      if (!inner) return inner;
      if (!peekIs(Token::Kind::RightParen)) return expected("')' to close the '('");
      ++m_next;
      unit = std::move(*inner);
    }
    if (peekIs(Token::Kind::Star)) {
      ++m_next;
      if (!peekIs(Token::Kind::Number)) return expected("a repeat count after '*'");
      auto count = parseInteger(peek().text);
      if (!count || *count < 0) return fail(fmt::format("'{}' is not a repeat count", escapeForDisplay(peek().text, 40)));
      if (!unit.empty() && static_cast<std::uint64_t>(*count) > m_limits.bytesValue / unit.size()) {
        return fail(fmt::format("the repeated string would exceed {} bytes", m_limits.bytesValue));
      }
      ++m_next;
      unit = repeatBytes(unit, static_cast<std::size_t>(*count));
    }
    if (value.size() + unit.size() > m_limits.bytesValue) {
      return fail(fmt::format("the byte string would exceed {} bytes", m_limits.bytesValue));
    }
    value += unit;
  }
  if (!any) return expected("a string such as \"hello\\n\" (or \"x\" * 100)");
  return value;
}

Expected<std::string, ParseError> LineParser::parseString(std::string_view what) {
  if (!peekIs(Token::Kind::String)) return expected(what);
  std::string text = peek().text;
  ++m_next;
  if (findInvalidUtf8(text) != std::string::npos || text.find('\0') != std::string::npos) {
    return fail(fmt::format("{} must be UTF-8 text", what));
  }
  return text;
}

// send-file's file is read now, so that a missing file is a parse error with its place (not a failure in the
// middle of a run), and the step holds its bytes like any other byte string: the same limits apply.
Expected<Argument, ParseError> LineParser::parseFile(const ParamSpec& spec) {
  Argument argument;
  argument.place = placeHere();
  auto path = parseString(fmt::format("the {} in quotes, relative to the scenario's folder", spec.name));
  if (!path) return Unexpected{path.error()};
  if (path->empty()) return Unexpected{ParseError{argument.place, "the path is empty"}};
  const std::filesystem::path written(*path);
  const std::string resolved = written.is_absolute() ? *path : (m_files.folder / written).string();
  auto bytes = m_files.read ? m_files.read(resolved, m_limits.bytesValue) : readFileBytes(resolved, m_limits.bytesValue);
  if (!bytes) {
    return Unexpected{ParseError{argument.place, fmt::format("cannot read \"{}\" ({}): {}", escapeForDisplay(*path, 80),
                                                             escapeForDisplay(resolved, 120), bytes.error().describe())}};
  }
  if (bytes->size() > m_limits.bytesValue) {
    return Unexpected{ParseError{
        argument.place, fmt::format("cannot send \"{}\": EFBIG (it holds more than {} bytes, the most a byte string may)",
                                    escapeForDisplay(*path, 80), m_limits.bytesValue)}};
  }
  argument.kind = Argument::Kind::File;
  argument.text = std::move(*path);
  argument.fileBytes = std::move(*bytes);
  return argument;
}

Expected<Argument, ParseError> LineParser::parseParam(const ParamSpec& spec, bool& present) {
  present = true;
  Argument argument;
  argument.place = placeHere();
  bool optional = spec.kind == ParamKind::OptionalWord || spec.kind == ParamKind::OptionalSocket ||
                  spec.kind == ParamKind::OptionalInteger;
  if (optional && (atEnd() || peekIs(Token::Kind::Arrow) || peekWord("within"))) {
    present = false;
    return argument;
  }
  if (spec.kind == ParamKind::Option && !peekWord(spec.name)) {
    present = false;
    return argument;
  }
  // A number of an Integer or Option param, within the param's bounds.
  auto boundedInteger = [&](std::string_view what) -> Expected<std::int64_t, ParseError> {
    if (!peekIs(Token::Kind::Number)) return expected(fmt::format("a number ({})", what));
    auto value = parseInteger(peek().text);
    if (!value || *value < INT32_MIN || *value > INT32_MAX) {
      return fail(fmt::format("'{}' is not a number in range (write 42, -1, 4KiB or 1MiB)",
                              escapeForDisplay(peek().text, 40)));
    }
    if (*value < spec.least || *value > spec.most) {
      return fail(fmt::format("{} must be from {} to {}, not {}", what, spec.least, spec.most, *value));
    }
    ++m_next;
    return *value;
  };
  switch (spec.kind) {
    case ParamKind::Socket:
    case ParamKind::OptionalSocket: {
      if (!peekIs(Token::Kind::Word)) return expected(fmt::format("a socket name ({})", spec.name));
      if (!m_names.contains(peek().text)) {
        return fail(fmt::format("'{}' names no socket: give it one first, e.g. '{} = socket'",
                                escapeForDisplay(peek().text, 40), escapeForDisplay(peek().text, 40)));
      }
      argument.kind = Argument::Kind::Name;
      argument.text = peek().text;
      ++m_next;
      return argument;
    }
    case ParamKind::Integer:
    case ParamKind::OptionalInteger: {
      auto value = boundedInteger(spec.name);
      if (!value) return Unexpected{value.error()};
      argument.kind = Argument::Kind::Integer;
      argument.integer = *value;
      return argument;
    }
    case ParamKind::Option: {
      ++m_next;  // the word
      auto value = boundedInteger(fmt::format("'{}'", spec.name));
      if (!value) return Unexpected{value.error()};
      argument.kind = Argument::Kind::Option;
      argument.text = std::string(spec.name);
      argument.integer = *value;
      return argument;
    }
    case ParamKind::Bytes: {
      auto bytes = parseBytes(0);
      if (!bytes) return Unexpected{bytes.error()};
      if (spec.least > 0 && bytes->size() < static_cast<std::uint64_t>(spec.least)) {
        return Unexpected{ParseError{argument.place, fmt::format("the {} must be at least {} byte{}", spec.name,
                                                                 spec.least, spec.least == 1 ? "" : "s")}};
      }
      argument.kind = Argument::Kind::Bytes;
      argument.text = std::move(*bytes);
      return argument;
    }
    case ParamKind::FilePath: return parseFile(spec);
    case ParamKind::Word:
    case ParamKind::OptionalWord: {
      if (!peekIs(Token::Kind::Word) || !contains(spec.words, peek().text)) {
        return expected(fmt::format("{}: one of {}", spec.name, joinWords(spec.words)));
      }
      argument.kind = Argument::Kind::Keyword;
      argument.text = peek().text;
      ++m_next;
      return argument;
    }
    case ParamKind::Flags:
      break;  // handled by the caller: zero or more
  }
  return argument;
}

Expected<std::optional<pattern::BytePattern>, ParseError> LineParser::parseDataPattern(const VerbSpec& spec) {
  const SourcePlace place = placeHere();
  pattern::PatternKind kind = pattern::PatternKind::Exact;
  if (peekIs(Token::Kind::Word)) {
    auto matcher = valueOf(dataMatchers(), peek().text);
    if (!matcher) return std::optional<pattern::BytePattern>{};
    kind = *matcher;
    ++m_next;
    if (!peekIs(Token::Kind::String) && !peekIs(Token::Kind::LeftParen)) {
      return expected(fmt::format("the bytes after '{}' (a string such as \"+OK\")", pattern::patternKindName(kind)));
    }
  } else if (!peekIs(Token::Kind::String) && !peekIs(Token::Kind::LeftParen)) {
    return std::optional<pattern::BytePattern>{};
  }
  if (spec.yields != Yields::Data && spec.yields != Yields::DataAndMessageFlags) {
    return Unexpected{ParseError{place, fmt::format("'{}' reads no bytes to match: only recv, recvmsg and the read "
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
    return expected("an expectation: ok, a count, an errno name (ECONNRESET|EPIPE), \"bytes\", eof, blocks or any");
  }
  const std::string& word = peek().text;
  if (word == "ok") expect.kind = Expectation::Kind::Success;
  else if (word == "eof") expect.kind = Expectation::Kind::Eof;
  else if (word == "blocks") expect.kind = Expectation::Kind::Blocks;
  else if (word == "any") expect.kind = Expectation::Kind::Any;
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
      if (!peekIs(Token::Kind::Word) || !errnoFromName(peek().text)) return expected("an errno name after '|'");
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
  return expected(isCheck ? "a value: a number, an errno name, a TCP state (ESTABLISHED, SYN_SENT, ...), yes or no"
                          : "an expectation: ok, a count, an errno name, \"bytes\", eof, blocks or any");
}

Expected<Step, ParseError> LineParser::parseStep() {
  Step step;
  step.place = placeHere();
  const bool named = m_tokens.size() >= 2 && m_tokens[1].kind == Token::Kind::Equals;
  if (peekWord(kRepeatWord) && !named) {
    ++m_next;
    auto count = peekIs(Token::Kind::Number) ? parseInteger(peek().text) : std::nullopt;
    if (!count || *count < 1 || *count > kMaxRepeat) {
      return expected(fmt::format("a repeat count from 1 to {} (repeat N STEP)", kMaxRepeat));
    }
    step.repeat = *count;
    ++m_next;
    if (m_next + 1 < m_tokens.size() && m_tokens[m_next + 1].kind == Token::Kind::Equals) {
      return fail("a step that names a socket cannot be repeated: each repetition would name it again");
    }
  }
  if (m_next + 1 < m_tokens.size() && m_tokens[m_next + 1].kind == Token::Kind::Equals) {
    if (!peekIs(Token::Kind::Word)) return expected("a name before '='");
    if (findVerb(peek().text) != nullptr || isHeaderWord(peek().text) || peek().text == kRepeatWord) {
      return fail(fmt::format("'{}' is a keyword; choose another socket name", peek().text));
    }
    if (auto previous = m_names.find(peek().text); previous != m_names.end()) {
      return fail(fmt::format("'{}' already names the socket made on line {}", peek().text, previous->second));
    }
    step.result = peek().text;
    m_next += 2;
  }
  if (!peekIs(Token::Kind::Word)) return expected("a step (a verb such as socket, bind, listen, connect, send)");
  const VerbSpec* spec = findVerb(peek().text);
  if (spec == nullptr) {
    std::string names;
    for (const auto& entry : verbTable()) names += (names.empty() ? "" : ", ") + std::string(entry.name);
    return fail(fmt::format("unknown verb '{}': expected one of {}", escapeForDisplay(peek().text, 40), names));
  }
  step.verb = spec->verb;
  ++m_next;
  if (spec->result == ResultRule::Required && step.result.empty()) {
    return Unexpected{ParseError{step.place, fmt::format("'{}' makes a socket: name it, as in '{}'",
                                                         spec->name, spec->synopsis)}};
  }
  if (spec->result == ResultRule::None && !step.result.empty()) {
    return Unexpected{ParseError{step.place, fmt::format("'{}' makes no socket to name ({})", spec->name,
                                                         spec->synopsis)}};
  }
  for (const ParamSpec& param : spec->params) {
    if (param.kind == ParamKind::Flags) {
      while (peekIs(Token::Kind::Word) && !peekWord("within")) {
        if (!contains(param.words, peek().text)) return expected(fmt::format("a flag: {}", joinWords(param.words)));
        Argument flag;
        flag.kind = Argument::Kind::Keyword;
        flag.text = peek().text;
        flag.place = placeHere();
        step.arguments.push_back(std::move(flag));
        ++m_next;
      }
      continue;
    }
    bool present = false;
    auto argument = parseParam(param, present);
    if (!argument) {
      ParseError error = argument.error();
      // A wrong or missing argument is easiest fixed beside the verb's usage.
      if (error.message.starts_with("expected") || error.message.find("names no socket") != std::string::npos) {
        error.message += fmt::format(" (usage: {})", spec->synopsis);
      }
      return Unexpected{std::move(error)};
    }
    if (present) step.arguments.push_back(std::move(*argument));
  }
  if (peekWord("within")) {
    ++m_next;
    if (!peekIs(Token::Kind::Number)) return expected("a duration after 'within' (500ms, 2s)");
    auto duration = parseDuration(peek().text);
    if (!duration) return fail(fmt::format("'{}' is not a duration: write 500ms or 2s (at most 600s)",
                                           escapeForDisplay(peek().text, 40)));
    step.within = *duration;
    ++m_next;
  }
  if (peekIs(Token::Kind::Arrow)) {
    ++m_next;
    auto expect = parseExpectation(*spec);
    if (!expect) return Unexpected{expect.error()};
    step.expect = std::move(*expect);
  } else if (spec->expectation == ExpectationRule::Required) {
    return expected("'->' and the value to check for");
  }
  if (step.verb == Verb::Wire) {
    if (step.repeat != 1) {
      return Unexpected{ParseError{step.place, "a wire step cannot be repeated: it reads packets already captured"}};
    }
    const std::string& assertion = step.arguments.front().text;
    bool counted = valueOf(wireAssertions(), assertion) == WireAssertion::SynRetransmits;
    if (counted && step.expect.kind != Expectation::Kind::Count) {
      return Unexpected{ParseError{step.expect.kind == Expectation::Kind::Success ? placeHere() : step.expect.place,
                                   fmt::format("expected '-> COUNT' after 'wire {}' (how many SYNs were sent again)",
                                               assertion)}};
    }
    if (counted && step.expect.count < 0) {
      return Unexpected{ParseError{step.expect.place, "a retransmission count is 0 or more"}};
    }
    if (!counted && step.expect.kind != Expectation::Kind::Success) {
      return Unexpected{ParseError{step.expect.place,
                                   fmt::format("'wire {}' takes no '->': it passes or fails on the packets",
                                               step.arguments.front().text)}};
    }
    if (step.within) {
      return Unexpected{ParseError{step.place, "a wire step takes no 'within': it reads packets already captured"}};
    }
  }
  if (!atEnd()) return expected(fmt::format("the end of the step (usage: {})", spec->synopsis));
  return step;
}

// Returns true when the line was a header line (and applied it to `scenario`).
Expected<bool, ParseError> LineParser::parseHeader(Scenario& scenario) {
  const std::string keyword = peek().text;
  ++m_next;
  if (keyword == "scenario") {
    if (!scenario.id.empty()) return Unexpected{ParseError{m_line, "a second 'scenario' line: one scenario per file"}};
    if (!peekIs(Token::Kind::Word) || !isValidId(peek().text)) {
      return expected("a scenario id of lowercase letters, digits, '.', '-' and '_' (e.g. close.unread-data-rst)");
    }
    scenario.id = peek().text;
    ++m_next;
  } else if (keyword == "title") {
    auto text = parseString("the title in quotes");
    if (!text) return Unexpected{text.error()};
    scenario.title = std::move(*text);
  } else if (keyword == "source") {
    auto text = parseString("the source in quotes (man page, RFC or kernel function)");
    if (!text) return Unexpected{text.error()};
    scenario.source = std::move(*text);
  } else if (keyword == "families") {
    if (atEnd()) return expected("at least one family: tcp4, tcp6, unix, udp4, udp6, unix-dgram, unix-seqpacket");
    while (!atEnd()) {
      auto family = peekIs(Token::Kind::Word) ? familyFromName(peek().text) : std::nullopt;
      if (!family) return expected("a family: tcp4, tcp6, unix, udp4, udp6, unix-dgram or unix-seqpacket");
      if (std::find(scenario.families.begin(), scenario.families.end(), *family) != scenario.families.end()) {
        return fail(fmt::format("family '{}' is listed twice", peek().text));
      }
      scenario.families.push_back(*family);
      ++m_next;
    }
  } else if (keyword == "claim") {
    auto value = peekIs(Token::Kind::Number) ? parseInteger(peek().text) : std::nullopt;
    if (!value || *value < 1 || *value > 4) return expected("a claim number from 1 to 4");
    int claim = static_cast<int>(*value);
    if (std::find(scenario.claims.begin(), scenario.claims.end(), claim) != scenario.claims.end()) {
      return fail(fmt::format("claim {} is tagged twice", claim));
    }
    ++m_next;
    if (!peekWord("confirms") && !peekWord("refutes")) {
      return expected("'confirms' or 'refutes': what this scenario passing says of the claim");
    }
    scenario.claims.push_back(claim);
    if (peek().text == "refutes") scenario.refutes.push_back(claim);
    ++m_next;
  } else if (keyword == "requires") {
    if (atEnd()) return expected(fmt::format("a requirement: {}", joinWords(kRequirementWords)));
    while (!atEnd()) {
      if (!peekIs(Token::Kind::Word) || !contains(kRequirementWords, peek().text)) {
        return expected(fmt::format("a requirement: {}", joinWords(kRequirementWords)));
      }
      scenario.requirements.push_back(peek().text);
      ++m_next;
    }
  } else if (keyword == "sysctl") {
    if (!peekIs(Token::Kind::Word) || !peek().text.starts_with("net.")) {
      return expected("a net.* sysctl name (it is set inside the scenario's own network namespace)");
    }
    std::string name = peek().text;
    ++m_next;
    auto value = peekIs(Token::Kind::Number) ? parseInteger(peek().text) : std::nullopt;
    if (!value) return expected("the sysctl's numeric value");
    ++m_next;
    scenario.sysctls.push_back(fmt::format("{}={}", name, *value));
  }
  if (!atEnd()) return expected("the end of the line");
  return true;
}

// The bytes a step's byte strings hold (arguments, files and expectation), for the per-file budget.
std::size_t bytesHeldBy(const Step& step) {
  std::size_t total = step.expect.data ? step.expect.data->text().size() : 0;
  for (const auto& argument : step.arguments) {
    if (argument.kind == Argument::Kind::Bytes) total += argument.text.size();
    if (argument.kind == Argument::Kind::File) total += argument.fileBytes.size();
  }
  return total;
}

// The first family of `scenario` that is not a byte stream (a read verb cannot run over it), or nullopt.
std::optional<Family> firstNonStreamFamily(const Scenario& scenario) {
  for (Family family : scenario.families) {
    if (net::typeOf(family) != SOCK_STREAM) return family;
  }
  return std::nullopt;
}

}  // namespace

ParseResult parseScenario(std::string_view text, std::string_view fileName, const ParseLimits& limits,
                          const FileReader& readFile) {
  Scenario scenario;
  scenario.file = std::string(fileName);
  const StepFiles files{std::filesystem::path(scenario.file).parent_path(), readFile};
  std::vector<ParseError> errors;
  NameTable names;
  auto addError = [&](ParseError error) {
    if (errors.size() < kMaxErrorsPerFile) errors.push_back(std::move(error));
  };
  if (text.size() > kMaxScenarioFileBytes) {
    addError({{scenario.file, 1, 1}, fmt::format("file is {} bytes; a scenario file is at most {}", text.size(),
                                                  kMaxScenarioFileBytes)});
    return Unexpected{std::move(errors)};
  }

  int lineNumber = 0;
  std::size_t start = 0;
  std::size_t bytesInFile = 0;  // at most limits.bytesPerFile
  // Bounded: each pass consumes one line of a text of bounded size.
  while (start < text.size() && errors.size() < kMaxErrorsPerFile) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++lineNumber;
    SourcePlace lineStart{scenario.file, lineNumber, 1};

    auto tokens = tokenizeLine(line);
    if (!tokens) {
      addError({{scenario.file, lineNumber, tokens.error().column}, tokens.error().message});
      continue;
    }
    if (tokens->empty()) continue;
    bool header = (*tokens)[0].kind == Token::Kind::Word && isHeaderWord((*tokens)[0].text) &&
                  !(tokens->size() >= 2 && (*tokens)[1].kind == Token::Kind::Equals);
    LineParser parser(std::move(*tokens), lineStart, names, limits, files);
    if (header) {
      if (!scenario.steps.empty()) {
        addError({lineStart, "header lines (scenario, title, families, ...) come before the first step"});
        continue;
      }
      if (auto applied = parser.parseHeader(scenario); !applied) addError(applied.error());
      continue;
    }
    auto step = parser.parseStep();
    if (!step) {
      addError(step.error());
      continue;
    }
    const std::size_t stepBytes = bytesHeldBy(*step);
    if (stepBytes > limits.bytesPerFile - bytesInFile) {
      addError({lineStart,
                fmt::format("the scenario's byte strings would exceed {} bytes in all", limits.bytesPerFile)});
      continue;
    }
    bytesInFile += stepBytes;
    if (!step->result.empty()) names.emplace(step->result, lineNumber);
    scenario.steps.push_back(std::move(*step));
  }

  SourcePlace top{scenario.file, 1, 1};
  if (scenario.id.empty()) addError({top, "missing 'scenario ID' line"});
  if (scenario.families.empty()) addError({top, "missing 'families' line (e.g. 'families tcp4 tcp6 unix')"});
  if (scenario.source.empty()) {
    addError({top, "missing 'source' line: cite where the expectation comes from (man page, RFC, kernel)"});
  }
  if (scenario.steps.empty() && errors.empty()) addError({top, "the scenario has no steps"});
  // connect-target reaches the server under test (run --target/--target-cmd): said in the header, so that
  // a run without one reports the scenario as skipped instead of failing it at that step.
  for (const auto& step : scenario.steps) {
    if (verbSpec(step.verb).needsTarget && !scenario.hasRequirement("target")) {
      addError({step.place, fmt::format("{} needs 'requires target' in the header (the server under test)",
                                        verbName(step.verb))});
      break;
    }
  }
  // The read verbs read a byte stream; over datagrams, recv is the read (one datagram per call).
  const auto nonStream = firstNonStreamFamily(scenario);
  for (const auto& step : scenario.steps) {
    if (nonStream && verbSpec(step.verb).streamOnly) {
      addError({step.place, fmt::format("{} reads a byte stream, and {} is not one: list only tcp4, tcp6 and unix "
                                        "(recv reads one datagram or message)",
                                        verbName(step.verb), familyName(*nonStream))});
      break;
    }
  }
  if (!errors.empty()) return Unexpected{std::move(errors)};
  return scenario;
}

ParseResult parseScenarioFile(const std::string& path) {
  // One byte past the limit is enough for parseScenario to refuse the file by its size.
  auto text = readFileBytes(path, kMaxScenarioFileBytes);
  if (!text) return Unexpected{std::vector<ParseError>{{{path, 0, 0}, text.error().describe()}}};
  return parseScenario(*text, path);
}

}  // namespace sockspec::scenario
