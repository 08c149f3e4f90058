#include "scenario/line_parser.h"

#include <charconv>

#include "base/display_escape.h"
#include "base/file_bytes.h"
#include "scenario/symbols.h"

namespace sockspec::scenario::detail {

namespace {

constexpr std::array<std::string_view, 7> kHeaderWords{"scenario", "title",    "families", "claim",
                                                       "source",   "requires", "sysctl"};

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

}  // namespace

bool isHeaderWord(std::string_view word) {
  return std::find(kHeaderWords.begin(), kHeaderWords.end(), word) != kHeaderWords.end();
}

std::string describeToken(const Token& token) {
  switch (token.kind) {
    case Token::Kind::Word:
    case Token::Kind::Number:
      return fmt::format("'{}'", escapeForDisplay(token.text, 40));
    case Token::Kind::String:
      return "a string";
    case Token::Kind::Equals:
      return "'='";
    case Token::Kind::Arrow:
      return "'->'";
    case Token::Kind::Star:
      return "'*'";
    case Token::Kind::LeftParen:
      return "'('";
    case Token::Kind::RightParen:
      return "')'";
    case Token::Kind::Bar:
      return "'|'";
  }
  return "a token";
}

std::optional<std::int64_t> parseInteger(std::string_view text) {
  std::int64_t multiplier = 1;
  std::size_t digitsEnd = text.size();
  for (auto [suffix, factor] :
       {std::pair<std::string_view, std::int64_t>{"KiB", 1024}, {"MiB", 1024 * 1024}}) {
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
      if (depth + 1 > kMaxNesting)
        return fail(fmt::format("parentheses nest more than {} deep", kMaxNesting));
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
      if (!count || *count < 0)
        return fail(fmt::format("'{}' is not a repeat count", escapeForDisplay(peek().text, 40)));
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
  auto bytes = m_files.read ? m_files.read(resolved, m_limits.bytesValue)
                            : readFileBytes(resolved, m_limits.bytesValue);
  if (!bytes) {
    return Unexpected{
        ParseError{argument.place, fmt::format("cannot read \"{}\" ({}): {}", escapeForDisplay(*path, 80),
                                               escapeForDisplay(resolved, 120), bytes.error().describe())}};
  }
  if (bytes->size() > m_limits.bytesValue) {
    return Unexpected{ParseError{
        argument.place,
        fmt::format("cannot send \"{}\": EFBIG (it holds more than {} bytes, the most a byte string may)",
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
      std::string reason = spec.boundsReason.empty() ? "" : fmt::format(" ({})", spec.boundsReason);
      return fail(
          fmt::format("{} must be from {} to {}, not {}{}", what, spec.least, spec.most, *value, reason));
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
        return Unexpected{
            ParseError{argument.place, fmt::format("the {} must be at least {} byte{}", spec.name, spec.least,
                                                   spec.least == 1 ? "" : "s")}};
      }
      argument.kind = Argument::Kind::Bytes;
      argument.text = std::move(*bytes);
      return argument;
    }
    case ParamKind::FilePath:
      return parseFile(spec);
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
      return fail(
          fmt::format("'{}' already names the socket made on line {}", peek().text, previous->second));
    }
    step.result = peek().text;
    m_next += 2;
  }
  if (!peekIs(Token::Kind::Word))
    return expected("a step (a verb such as socket, bind, listen, connect, send)");
  const VerbSpec* spec = findVerb(peek().text);
  if (spec == nullptr) {
    std::string names;
    for (const auto& entry : verbTable()) names += (names.empty() ? "" : ", ") + std::string(entry.name);
    return fail(
        fmt::format("unknown verb '{}': expected one of {}", escapeForDisplay(peek().text, 40), names));
  }
  step.verb = spec->verb;
  ++m_next;
  if (spec->result == ResultRule::Required && step.result.empty()) {
    return Unexpected{ParseError{
        step.place, fmt::format("'{}' makes a socket: name it, as in '{}'", spec->name, spec->synopsis)}};
  }
  if (spec->result == ResultRule::None && !step.result.empty()) {
    return Unexpected{
        ParseError{step.place, fmt::format("'{}' makes no socket to name ({})", spec->name, spec->synopsis)}};
  }
  for (const ParamSpec& param : spec->params) {
    if (param.kind == ParamKind::Flags) {
      while (peekIs(Token::Kind::Word) && !peekWord("within")) {
        if (!contains(param.words, peek().text))
          return expected(fmt::format("a flag: {}", joinWords(param.words)));
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
      if (error.message.starts_with("expected") ||
          error.message.find("names no socket") != std::string::npos) {
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
    if (!duration)
      return fail(fmt::format("'{}' is not a duration: write 500ms or 2s (at most 600s)",
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
      return Unexpected{
          ParseError{step.place, "a wire step cannot be repeated: it reads packets already captured"}};
    }
    const std::string& assertion = step.arguments.front().text;
    bool counted = valueOf(wireAssertions(), assertion) == WireAssertion::SynRetransmits;
    if (counted && step.expect.kind != Expectation::Kind::Count) {
      return Unexpected{ParseError{
          step.expect.kind == Expectation::Kind::Success ? placeHere() : step.expect.place,
          fmt::format("expected '-> COUNT' after 'wire {}' (how many SYNs were sent again)", assertion)}};
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
      return Unexpected{
          ParseError{step.place, "a wire step takes no 'within': it reads packets already captured"}};
    }
  }
  if (!atEnd()) return expected(fmt::format("the end of the step (usage: {})", spec->synopsis));
  return step;
}

}  // namespace sockspec::scenario::detail
