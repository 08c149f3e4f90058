#include "report/console_report.h"

#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

#include "report/report_format.h"
#include "report/report_text.h"

namespace sockspec::report {

namespace {

constexpr std::string_view kGreen = "\x1b[32m";
constexpr std::string_view kRed = "\x1b[31m";
constexpr std::string_view kYellow = "\x1b[33m";
constexpr std::string_view kReset = "\x1b[0m";

// The width of "PASS  ": failure details line up under the check's id.
constexpr std::string_view kDetailIndent = "      ";

std::string painted(std::string_view text, std::string_view colour, bool color) {
  if (!color || colour.empty()) return std::string(text);
  return fmt::format("{}{}{}", colour, text, kReset);
}

std::string_view verdictColour(ClaimVerdict verdict) {
  switch (verdict) {
    case ClaimVerdict::Confirmed: return kGreen;
    case ClaimVerdict::PartlyTrue: return kYellow;
    case ClaimVerdict::Refuted: return kRed;
    case ClaimVerdict::Untested: return "";
  }
  return "";
}

// "close/unread.scn:16: message"; "message" for a built-in check with no file.
std::string locatedMessage(const CheckResult& check) {
  std::string message = detail::oneLine(check.message);
  if (check.file.empty()) return message;
  std::string file = detail::oneLine(check.file);
  if (check.line <= 0) return fmt::format("{}: {}", file, message);
  return fmt::format("{}:{}: {}", file, check.line, message);
}

}  // namespace

Expected<ColorMode, std::string> parseColorMode(std::string_view name) {
  if (name == "auto") return ColorMode::Auto;
  if (name == "always") return ColorMode::Always;
  if (name == "never") return ColorMode::Never;
  return Unexpected{fmt::format("unknown colour mode '{}' (expected auto, always or never)", name)};
}

std::string_view colorModeName(ColorMode mode) {
  switch (mode) {
    case ColorMode::Auto: return "auto";
    case ColorMode::Always: return "always";
    case ColorMode::Never: return "never";
  }
  return "?";
}

bool shouldUseColor(ColorMode mode, int fd, const char* noColor) {
  switch (mode) {
    case ColorMode::Always: return true;
    case ColorMode::Never: return false;
    case ColorMode::Auto: break;
  }
  // no-color.org: NO_COLOR present and not empty disables colour.
  if (noColor != nullptr && noColor[0] != '\0') return false;
  return fd >= 0 && ::isatty(fd) == 1;
}

namespace {

// The check's line, and for a failure the message under it.
std::string renderConsoleVerdict(const CheckResult& check, bool color) {
  std::string id = detail::oneLine(check.id);
  std::string wire = describeWireEvidence(check);
  // Wire evidence after the time: a reader sees at once whether a verdict rests on the packets too.
  if (!wire.empty()) wire = "  [" + detail::oneLine(wire) + "]";
  switch (check.status) {
    case Status::Passed:
      return fmt::format("{}  {}  ({} ms){}\n", painted("PASS", kGreen, color), id,
                         detail::wholeMilliseconds(check.durationMs), wire);
    case Status::Failed:
      return fmt::format("{}  {}  ({} ms){}\n{}{}\n{}", painted("FAIL", kRed, color), id,
                         detail::wholeMilliseconds(check.durationMs), wire, kDetailIndent, locatedMessage(check),
                         check.target.empty() ? std::string()
                                              : fmt::format("{}the target {}\n", kDetailIndent,
                                                            detail::oneLine(check.target)));
    case Status::Skipped:
      if (check.message.empty()) return fmt::format("{}  {}{}\n", painted("SKIP", kYellow, color), id, wire);
      return fmt::format("{}  {}  ({}){}\n", painted("SKIP", kYellow, color), id,
                         detail::oneLine(check.message), wire);
  }
  return {};
}

}  // namespace

std::string renderConsoleCheck(const CheckResult& check, bool color) {
  std::string loss = describeCaptureLoss(check);
  // Whatever the verdict, a lost capture is said under the check's line: the run fails for it.
  if (!loss.empty()) loss = fmt::format("{}{}\n", kDetailIndent, detail::oneLine(loss));
  return renderConsoleVerdict(check, color) + loss;
}

std::string renderConsoleClaims(const RunResult& result, bool color) {
  if (result.claims.empty()) return {};
  std::string out = "Claims:\n";
  for (const auto& claim : result.claims) {
    out += fmt::format("  {}. {}\n", claim.claim, detail::oneLine(claim.text));
    std::string verdict = painted(verdictName(claim.verdict), verdictColour(claim.verdict), color);
    if (claim.summary.empty()) {
      out += fmt::format("     {}\n", verdict);
    } else {
      out += fmt::format("     {}: {}\n", verdict, detail::oneLine(claim.summary));
    }
    std::string evidence =
        claim.evidence.empty() ? "none" : fmt::format("{}", fmt::join(claim.evidence, ", "));
    out += fmt::format("     evidence: {}\n", detail::oneLine(evidence));
  }
  return out;
}

std::string renderConsoleEnd(const RunResult& result, bool color) {
  RunSummary totals = result.summary();
  std::string out = fmt::format("\n{} passed, {} failed, {} skipped in {} ms\n", totals.passed, totals.failed,
                                totals.skipped, detail::wholeMilliseconds(totals.durationMs));
  if (CaptureLosses losses = captureLosses(result); losses.count > 0) {
    out += fmt::format("{} capture{} not written (the first: {})\n", losses.count,
                       losses.count == 1 ? "" : "s", detail::oneLine(losses.first->captureError));
  }
  std::string claims = renderConsoleClaims(result, color);
  if (!claims.empty()) out += "\n" + claims;
  return out;
}

std::string renderConsoleReport(const RunResult& result, bool color) {
  std::string out;
  for (const auto& check : result.checks) out += renderConsoleCheck(check, color);
  out += renderConsoleEnd(result, color);
  return out;
}

ConsoleReporter::ConsoleReporter(std::FILE* out, ConsoleOptions options)
    : m_out(out), m_color(shouldUseColor(options.color, ::fileno(out), std::getenv("NO_COLOR"))) {}

void ConsoleReporter::checkFinished(const CheckResult& check) { emit(renderConsoleCheck(check, m_color)); }

void ConsoleReporter::runFinished(const RunResult& result) { emit(renderConsoleEnd(result, m_color)); }

std::optional<SysError> ConsoleReporter::firstWriteError() const {
  std::lock_guard lock(m_mutex);
  return m_writeError;
}

void ConsoleReporter::emit(const std::string& text) {
  std::lock_guard lock(m_mutex);
  // Flushed per check, so that a CI log (a pipe, fully buffered) shows progress as it happens.
  auto written = writeText(m_out, text);
  if (!written && !m_writeError) m_writeError = written.error();
}

}  // namespace sockspec::report
