#include "scenario/printer.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "scenario/verbs.h"

namespace sockspec::scenario {

namespace {

// Runs of one byte at least this long are written as a repetition.
constexpr std::size_t kRunWorthRepeating = 16;

std::string quote(std::string_view bytes) {
  std::string out = "\"";
  for (char c : bytes) {
    auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      default:
        // Every byte outside printable ASCII is escaped, so the output is ASCII whatever the bytes were.
        if (byte >= 0x20 && byte < 0x7f) {
          out += c;
        } else {
          out += fmt::format("\\x{:02x}", byte);
        }
    }
  }
  return out + "\"";
}

std::string printArgument(const Argument& argument) {
  switch (argument.kind) {
    case Argument::Kind::Name:
    case Argument::Kind::Keyword: return argument.text;
    case Argument::Kind::Integer: return std::to_string(argument.integer);
    case Argument::Kind::Bytes: return printBytes(argument.text);
    case Argument::Kind::Duration: return fmt::format("{}ms", argument.duration.count());
    case Argument::Kind::Option:
      return fmt::format("{} {}", argument.text, argument.integer);
    case Argument::Kind::File:
      return quote(argument.text);  // the path; the bytes are read again on parsing
  }
  return {};
}

// `"bytes"`, `prefix "+P"`, `matches "^HTTP/1\\.1 "`: the pattern in the language's own string syntax.
std::string printPattern(const pattern::BytePattern& data) {
  if (data.kind() == pattern::PatternKind::Exact) return printBytes(data.text());
  return fmt::format("{} {}", pattern::patternKindName(data.kind()), printBytes(data.text()));
}

std::string printExpectation(const Expectation& expect) {
  std::string text;
  switch (expect.kind) {
    case Expectation::Kind::Success: return "ok";
    case Expectation::Kind::Count:
      text = std::to_string(expect.count);
      if (expect.data) text += " " + printPattern(*expect.data);
      break;
    case Expectation::Kind::Bytes:
      text = expect.data ? printPattern(*expect.data) : "\"\"";
      break;
    case Expectation::Kind::Eof: return "eof";
    case Expectation::Kind::Blocks: return "blocks";
    case Expectation::Kind::Any: return "any";
    case Expectation::Kind::Word: return expect.word;
    case Expectation::Kind::Errno:
      for (const auto& name : expect.errnos) text += (text.empty() ? "" : "|") + name;
      return text;
  }
  for (const auto& flag : expect.flags) text += " " + flag;
  return text;
}

}  // namespace

namespace {

// Periods up to this long are looked for; the nesting stays within the parser's kMaxNesting.
constexpr std::size_t kLongestRepeatedUnit = 4096;
constexpr int kDeepestPrintedNesting = 7;

// The length of the run of bytes[start] that begins at `start`. By memcmp against the run found so far,
// doubling and then halving the step: O(log n) steps instead of a loop over up to 64 MiB of bytes (which
// dominated the scenario_parser fuzz target's time under coverage instrumentation).
std::size_t runLength(std::string_view bytes, std::size_t start) {
  const char* run = bytes.data() + start;
  const std::size_t available = bytes.size() - start;
  std::size_t length = 1;
  while (2 * length <= available && std::memcmp(run, run + length, length) == 0) length *= 2;
  for (std::size_t step = length / 2; step > 0; step /= 2) {
    if (length + step <= available && std::memcmp(run, run + length, step) == 0) length += step;
  }
  return length;
}

// Runs of one byte become "x" * N; the rest is quoted as it is.
std::string printRuns(std::string_view bytes) {
  std::string out;
  std::size_t literalStart = 0;
  std::size_t i = 0;
  auto flushLiteral = [&](std::size_t end) {
    if (end > literalStart) out += (out.empty() ? "" : " ") + quote(bytes.substr(literalStart, end - literalStart));
  };
  while (i < bytes.size()) {
    const std::size_t run = runLength(bytes, i);
    if (run >= kRunWorthRepeating) {
      flushLiteral(i);
      out += (out.empty() ? "" : " ") + fmt::format("{} * {}", quote(bytes.substr(i, 1)), run);
      literalStart = i + run;
    }
    i += run;
  }
  flushLiteral(bytes.size());
  return out;
}

// The smallest period p of `bytes` (bytes[i] == bytes[i + p] throughout) if 2 <= p <= kLongestRepeatedUnit and
// it repeats at least twice, else 0. Only one candidate needs the O(n) check: the smallest period of the first
// 2 * kLongestRepeatedUnit bytes (by the Fine-Wilf theorem a shorter one would divide p), found with the
// KMP prefix function.
std::size_t smallestPeriod(std::string_view bytes) {
  const std::size_t m = std::min(bytes.size(), 2 * kLongestRepeatedUnit);
  std::vector<std::size_t> border(m, 0);  // border[i]: longest proper border of bytes[0..i]
  for (std::size_t i = 1; i < m; ++i) {
    std::size_t k = border[i - 1];
    while (k > 0 && bytes[i] != bytes[k]) k = border[k - 1];
    if (bytes[i] == bytes[k]) ++k;
    border[i] = k;
  }
  const std::size_t period = m - border[m - 1];
  if (period < 2 || 2 * period > bytes.size()) return 0;
  return bytes.substr(period) == bytes.substr(0, bytes.size() - period) ? period : 0;
}

// A string that is a unit repeated (as "ab" * 8MiB or ("x" * 100 "y") * 1000 build) prints as that repeat,
// recursively, so the text stays small enough to parse again (parser.h: kMaxScenarioFileBytes). Found by the
// scenario_parser fuzz target: only one-byte runs were folded, and "xy" * 8MiB printed 16 MB of text.
std::string printRepeats(std::string_view bytes, int depth) {
  const std::size_t period = depth < kDeepestPrintedNesting && bytes.size() >= kRunWorthRepeating
                                 ? smallestPeriod(bytes)
                                 : 0;
  if (period == 0) return printRuns(bytes);
  const std::size_t count = bytes.size() / period;
  const std::string unit = printRepeats(bytes.substr(0, period), depth + 1);
  const bool oneLiteral = unit.find('"', 1) == unit.size() - 1;  // a single quoted string, e.g. "ab"
  std::string out = oneLiteral ? fmt::format("{} * {}", unit, count) : fmt::format("({}) * {}", unit, count);
  if (bytes.size() % period != 0) out += " " + printRuns(bytes.substr(count * period));
  return out;
}

}  // namespace

std::string printBytes(std::string_view bytes) {
  if (bytes.empty()) return "\"\"";
  return printRepeats(bytes, 0);
}

std::string printStep(const Step& step) {
  std::string text;
  if (step.repeat != 1) text += fmt::format("repeat {} ", step.repeat);
  if (!step.result.empty()) text += step.result + " = ";
  text += verbName(step.verb);
  for (const auto& argument : step.arguments) text += " " + printArgument(argument);
  if (step.within) text += fmt::format(" within {}ms", step.within->count());
  // `check` must name what it expects, even "ok" (parser.cpp); other verbs succeed silently. Found by the
  // scenario_parser fuzz target: "check c error -> ok" printed without its "-> ok" did not parse again.
  if (step.expect.kind != Expectation::Kind::Success ||
      verbSpec(step.verb).expectation == ExpectationRule::Required) {
    text += " -> " + printExpectation(step.expect);
  }
  return text;
}

std::string printScenario(const Scenario& scenario) {
  std::string text = fmt::format("scenario {}\n", scenario.id);
  if (!scenario.title.empty()) text += fmt::format("title {}\n", quote(scenario.title));
  text += "families";
  for (Family family : scenario.families) text += " " + std::string(familyName(family));
  text += "\n";
  for (int claim : scenario.claims) {
    bool refutes = std::find(scenario.refutes.begin(), scenario.refutes.end(), claim) != scenario.refutes.end();
    text += fmt::format("claim {} {}\n", claim, refutes ? "refutes" : "confirms");
  }
  text += fmt::format("source {}\n", quote(scenario.source));
  if (!scenario.requirements.empty()) {
    text += "requires";
    for (const auto& requirement : scenario.requirements) text += " " + requirement;
    text += "\n";
  }
  for (const auto& sysctl : scenario.sysctls) {
    auto equals = sysctl.find('=');
    text += fmt::format("sysctl {} {}\n", sysctl.substr(0, equals), sysctl.substr(equals + 1));
  }
  text += "\n";
  for (const auto& step : scenario.steps) text += printStep(step) + "\n";
  return text;
}

}  // namespace sockspec::scenario
