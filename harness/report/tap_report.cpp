#include "report/tap_report.h"

#include <cmath>

#include <fmt/format.h>

#include "report/report_text.h"

namespace sockspec::report {

namespace {

double roundedMs(double ms) { return std::isfinite(ms) ? std::round(ms * 1000.0) / 1000.0 : 0.0; }

void appendFailureBlock(std::string& out, const CheckResult& check) {
  out += "  ---\n";
  out += fmt::format("  message: {}\n", yamlQuoted(check.message));
  out += "  severity: fail\n";
  if (!check.target.empty()) out += fmt::format("  target: {}\n", yamlQuoted(check.target));
  out += fmt::format("  file: {}\n", yamlQuoted(check.file));
  out += fmt::format("  line: {}\n", check.line);
  if (!check.title.empty()) out += fmt::format("  title: {}\n", yamlQuoted(check.title));
  if (!check.source.empty()) out += fmt::format("  source: {}\n", yamlQuoted(check.source));
  out += fmt::format("  duration_ms: {}\n", roundedMs(check.durationMs));
  out += "  ...\n";
}

}  // namespace

std::string escapeTapDescription(std::string_view text) {
  std::string out;
  for (char c : detail::oneLine(text)) {
    if (c == '\\' || c == '#') out += '\\';
    out += c;
  }
  return out;
}

std::string yamlQuoted(std::string_view text) {
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size();) {
    detail::TextPiece piece = detail::textPieceAt(text, i);
    i += piece.bytes.size();
    auto byte = static_cast<unsigned char>(piece.bytes.front());
    if (piece.kind == detail::TextPiece::Kind::NotUtf8) {
      out += fmt::format("\\\\x{:02x}", byte);
      continue;
    }
    if (piece.kind == detail::TextPiece::Kind::Utf8) {
      char32_t codePoint = piece.codePoint;
      // Outside YAML's printable set (YAML 1.2, production [1] c-printable), so escaped. C1 controls as
      // \xNN, which TAP::Parser's YAMLish (prove) also decodes; it knows neither \u nor \0.
      if (codePoint <= 0x9F) {
        out += fmt::format("\\x{:02x}", static_cast<unsigned>(codePoint));
      } else if (codePoint == 0xFFFE || codePoint == 0xFFFF) {
        out += fmt::format("\\u{:04x}", static_cast<unsigned>(codePoint));
      } else {
        out += piece.bytes;
      }
      continue;
    }
    switch (byte) {
      case '\\': out += "\\\\"; continue;
      case '"': out += "\\\""; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      default: break;
    }
    if (byte < 0x20 || byte == 0x7F) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += static_cast<char>(byte);
    }
  }
  out += '"';
  return out;
}

std::string renderTapReport(const RunResult& result) {
  std::string out = "TAP version 13\n";
  out += fmt::format("1..{}\n", result.checks.size());
  std::size_t number = 0;
  for (const auto& check : result.checks) {
    ++number;
    std::string description = escapeTapDescription(check.id);
    switch (check.status) {
      case Status::Passed: out += fmt::format("ok {} - {}\n", number, description); break;
      case Status::Skipped:
        out += fmt::format("ok {} - {} # SKIP", number, description);
        if (!check.message.empty()) out += " " + detail::oneLine(check.message);
        out += '\n';
        break;
      case Status::Failed:
        out += fmt::format("not ok {} - {}\n", number, description);
        appendFailureBlock(out, check);
        break;
    }
    // A diagnostic line: TAP consumers show it, and a skipped wire step is never hidden in an "ok".
    if (std::string wire = describeWireEvidence(check); !wire.empty()) {
      out += fmt::format("# {}\n", detail::oneLine(wire));
    }
    if (std::string loss = describeCaptureLoss(check); !loss.empty())
      out += fmt::format("# {}\n", detail::oneLine(loss));
  }
  RunSummary totals = result.summary();
  out += fmt::format("# {} passed, {} failed, {} skipped in {} ms\n", totals.passed, totals.failed,
                     totals.skipped, detail::wholeMilliseconds(totals.durationMs));
  for (const auto& claim : result.claims) {
    out += fmt::format("# claim {} ({}): {}\n", claim.claim, verdictName(claim.verdict),
                       detail::oneLine(claim.text));
    if (!claim.summary.empty()) out += fmt::format("#   {}\n", detail::oneLine(claim.summary));
    std::string evidence =
        claim.evidence.empty() ? "none" : fmt::format("{}", fmt::join(claim.evidence, ", "));
    out += fmt::format("#   evidence: {}\n", detail::oneLine(evidence));
  }
  return out;
}

}  // namespace sockspec::report
