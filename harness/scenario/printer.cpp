#include "scenario/printer.h"

#include <algorithm>

#include <fmt/format.h>

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
  }
  return {};
}

std::string printExpectation(const Expectation& expect) {
  std::string text;
  switch (expect.kind) {
    case Expectation::Kind::Success: return "ok";
    case Expectation::Kind::Count: text = std::to_string(expect.count); break;
    case Expectation::Kind::Bytes: text = printBytes(expect.bytes); break;
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

std::string printBytes(std::string_view bytes) {
  if (bytes.empty()) return "\"\"";
  std::string out;
  std::size_t literalStart = 0;
  std::size_t i = 0;
  auto flushLiteral = [&](std::size_t end) {
    if (end > literalStart) out += (out.empty() ? "" : " ") + quote(bytes.substr(literalStart, end - literalStart));
  };
  while (i < bytes.size()) {
    std::size_t run = 1;
    while (i + run < bytes.size() && bytes[i + run] == bytes[i]) ++run;
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

std::string printStep(const Step& step) {
  std::string text;
  if (!step.result.empty()) text += step.result + " = ";
  text += step.verb;
  for (const auto& argument : step.arguments) text += " " + printArgument(argument);
  if (step.within) text += fmt::format(" within {}ms", step.within->count());
  // `check` must name what it expects, even "ok" (parser.cpp); other verbs succeed silently. Found by the
  // scenario_parser fuzz target: "check c error -> ok" printed without its "-> ok" did not parse again.
  if (step.expect.kind != Expectation::Kind::Success || step.verb == "check") {
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
