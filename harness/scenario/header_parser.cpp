#include "base/display_escape.h"
#include "scenario/line_parser.h"

namespace sockspec::scenario::detail {

namespace {

constexpr std::array<std::string_view, 3> kRequirementWords{"netns", "root", "target"};

bool isValidId(std::string_view id) {
  if (id.empty() || id.size() > 80) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
  });
}

}  // namespace

// Returns true when the line was a header line (and applied it to `scenario`).
Expected<bool, ParseError> LineParser::parseHeader(Scenario& scenario) {
  const std::string keyword = peek().text;
  ++m_next;
  if (keyword == "scenario") {
    if (!scenario.id.empty())
      return Unexpected{ParseError{m_line, "a second 'scenario' line: one scenario per file"}};
    if (!peekIs(Token::Kind::Word) || !isValidId(peek().text)) {
      return expected(
          "a scenario id of lowercase letters, digits, '.', '-' and '_' (e.g. close.unread-data-rst)");
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
    if (atEnd())
      return expected("at least one family: tcp4, tcp6, unix, udp4, udp6, unix-dgram, unix-seqpacket");
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

}  // namespace sockspec::scenario::detail
