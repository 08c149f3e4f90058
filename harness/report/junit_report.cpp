#include "report/junit_report.h"

#include <cmath>

#include <fmt/format.h>

#include "report/console_report.h"
#include "report/report_text.h"

namespace sockspec::report {

namespace {

enum class XmlPlace { Text, Attribute };

std::string escapeXml(std::string_view text, XmlPlace place) {
  bool attribute = place == XmlPlace::Attribute;
  std::string out;
  out.reserve(text.size() + 16);
  for (std::size_t i = 0; i < text.size();) {
    detail::TextPiece piece = detail::textPieceAt(text, i);
    i += piece.bytes.size();
    auto byte = static_cast<unsigned char>(piece.bytes.front());
    if (piece.kind == detail::TextPiece::Kind::NotUtf8) {
      out += fmt::format("\\x{:02x}", byte);
      continue;
    }
    if (piece.kind == detail::TextPiece::Kind::Utf8) {
      char32_t codePoint = piece.codePoint;
      // U+FFFE and U+FFFF are not XML 1.0 characters (production [2] Char); C1 controls are allowed but a
      // viewer may act on them.
      if (codePoint <= 0x9F || codePoint == 0xFFFE || codePoint == 0xFFFF) {
        out += fmt::format("\\u{:04x}", static_cast<unsigned>(codePoint));
      } else {
        out += piece.bytes;
      }
      continue;
    }
    switch (byte) {
      case '&': out += "&amp;"; continue;
      case '<': out += "&lt;"; continue;
      case '>': out += "&gt;"; continue;
      case '"': out += "&quot;"; continue;
      case '\'': out += "&apos;"; continue;
      case '\r': out += "&#13;"; continue;
      case '\n': out += attribute ? "&#10;" : "\n"; continue;
      case '\t': out += attribute ? "&#9;" : "\t"; continue;
      default: break;
    }
    if (byte < 0x20 || byte == 0x7F) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += static_cast<char>(byte);
    }
  }
  return out;
}

std::string seconds(double ms) {
  if (!std::isfinite(ms) || ms < 0) ms = 0;
  return fmt::format("{:.3f}", ms / 1000.0);
}

// Jenkins groups test cases by classname: the family ("tcp6"), else the scenario's folder ("close"), else
// the suite.
std::string classNameOf(const CheckResult& check, std::string_view suite) {
  if (!check.family.empty()) return check.family;
  std::size_t slash = check.file.rfind('/');
  if (slash != std::string::npos && slash > 0) return check.file.substr(0, slash);
  return std::string(suite);
}

// "close/unread.scn:16: recv client 16: expected ECONNRESET, got 0 (eof)", as the console prints it.
std::string locatedMessage(const CheckResult& check) {
  if (check.file.empty()) return check.message;
  if (check.line <= 0) return fmt::format("{}: {}", check.file, check.message);
  return fmt::format("{}:{}: {}", check.file, check.line, check.message);
}

void appendTestCase(std::string& out, const CheckResult& check, std::string_view suite) {
  out += fmt::format(R"(    <testcase classname="{}" name="{}")",
                     escapeXmlAttribute(classNameOf(check, suite)), escapeXmlAttribute(check.id));
  if (!check.file.empty()) {
    out += fmt::format(R"( file="{}" line="{}")", escapeXmlAttribute(check.file), check.line);
  }
  out += fmt::format(R"( time="{}")", seconds(check.durationMs));
  // Wire evidence goes in the test case's own system-out, after skipped/failure (the JUnit XSD's order).
  std::string wire = describeWireEvidence(check);
  std::string wireOut =
      wire.empty() ? "" : fmt::format("      <system-out>{}</system-out>\n", escapeXmlText(wire));
  if (std::string loss = describeCaptureLoss(check); !loss.empty()) {
    wireOut += fmt::format("      <system-err>{}</system-err>\n", escapeXmlText(loss));
  }
  switch (check.status) {
    case Status::Passed:
      out += wireOut.empty() ? "/>\n" : fmt::format(">\n{}    </testcase>\n", wireOut);
      return;
    case Status::Skipped:
      out += fmt::format(">\n      <skipped message=\"{}\"/>\n{}    </testcase>\n",
                         escapeXmlAttribute(check.message), wireOut);
      return;
    case Status::Failed: break;
  }
  std::string located = locatedMessage(check);
  if (!check.target.empty()) located += "; the target " + check.target;
  std::string body = located;
  if (!check.title.empty()) body += "\ncheck: " + check.title;
  if (!check.source.empty()) body += "\nsource: " + check.source;
  out += fmt::format(">\n      <failure message=\"{}\">{}</failure>\n{}    </testcase>\n",
                     escapeXmlAttribute(located), escapeXmlText(body), wireOut);
}

void appendProperties(std::string& out, const std::vector<ClaimResult>& claims) {
  if (claims.empty()) return;
  out += "    <properties>\n";
  auto property = [&out](int claim, std::string_view key, std::string_view value) {
    out += fmt::format(R"(      <property name="claim.{}.{}" value="{}"/>)", claim, key,
                       escapeXmlAttribute(value));
    out += '\n';
  };
  for (const auto& claim : claims) {
    property(claim.claim, "text", claim.text);
    property(claim.claim, "verdict", verdictName(claim.verdict));
    property(claim.claim, "summary", claim.summary);
    property(claim.claim, "evidence", fmt::format("{}", fmt::join(claim.evidence, ", ")));
  }
  out += "    </properties>\n";
}

}  // namespace

std::string escapeXmlText(std::string_view text) { return escapeXml(text, XmlPlace::Text); }
std::string escapeXmlAttribute(std::string_view text) { return escapeXml(text, XmlPlace::Attribute); }

std::string renderJunitReport(const RunResult& result) {
  RunSummary totals = result.summary();
  std::string suite = result.suite.empty() ? "sockspec" : result.suite;
  std::string counts =
      fmt::format(R"(tests="{}" failures="{}" errors="0" skipped="{}" time="{}")", result.checks.size(),
                  totals.failed, totals.skipped, seconds(totals.durationMs));
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"sockspec\" {}>\n", counts);
  out += fmt::format("  <testsuite name=\"{}\" {}>\n", escapeXmlAttribute(suite), counts);
  appendProperties(out, result.claims);
  for (const auto& check : result.checks) appendTestCase(out, check, suite);
  if (!result.claims.empty()) {
    out +=
        fmt::format("    <system-out>{}</system-out>\n", escapeXmlText(renderConsoleClaims(result, false)));
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace sockspec::report
