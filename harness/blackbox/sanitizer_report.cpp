#include "blackbox/sanitizer_report.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace sockspec::blackbox {

namespace {

constexpr auto npos = std::string_view::npos;

// What a report's first line holds (see the header); the first five follow "==PID==".
constexpr std::array<std::string_view, 6> kFirstLineMarks = {
    "ERROR: AddressSanitizer:",  "ERROR: HWAddressSanitizer:", "ERROR: LeakSanitizer:",
    "WARNING: ThreadSanitizer:", "WARNING: MemorySanitizer:",  ": runtime error: ",
};
constexpr std::string_view kSummaryMark = "SUMMARY: ";

std::size_t startOfLine(std::string_view text, std::size_t at) {
  std::size_t newline = at == 0 ? npos : text.rfind('\n', at - 1);
  return newline == npos ? 0 : newline + 1;
}

std::string_view lineFrom(std::string_view text, std::size_t start) {
  std::string_view line = text.substr(start, text.find('\n', start) - start);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// At most `most` bytes of `text`, each control or non-ASCII byte as '?': for a console line and a JSON
// string alike (the server's bytes may be anything).
std::string printable(std::string_view text, std::size_t most) {
  std::string out(text.substr(0, most));
  for (char& c : out) {
    auto byte = static_cast<unsigned char>(c);
    if (byte != '\n' && byte != '\t' && (byte < 0x20 || byte >= 0x7f)) c = '?';
  }
  return out;
}

// The summary without what differs between runs and checkouts (header): "0x7ffd1234" -> "0x?", and a path
// (a word holding '/') its last part, a '(' before it kept: "(/lib/x86_64-linux-gnu/libc.so.6+0x1d8a5)"
// -> "(libc.so.6+0x?)".
std::string keyOf(std::string_view summary) {
  std::string key;
  std::size_t i = 0;
  // Bounded: each pass consumes at least one byte.
  while (i < summary.size()) {
    if (summary[i] == ' ') {
      key += summary[i++];
      continue;
    }
    std::size_t end = std::min(summary.find(' ', i), summary.size());
    std::string_view word = summary.substr(i, end - i);
    i = end;
    std::size_t slash = word.rfind('/');
    if (slash != npos) {
      bool parenthesized = word.front() == '(';
      word.remove_prefix(slash + 1);
      if (parenthesized) key += '(';
    }
    for (std::size_t j = 0; j < word.size();) {
      bool hex = j + 1 < word.size() && word[j] == '0' && (word[j + 1] == 'x' || word[j + 1] == 'X');
      if (!hex) {
        key += word[j++];
        continue;
      }
      std::size_t digits = j + 2;
      while (digits < word.size() && std::isxdigit(static_cast<unsigned char>(word[digits])) != 0) ++digits;
      key += "0x?";
      j = digits;
    }
  }
  return key;
}

}  // namespace

std::optional<SanitizerReport> findSanitizerReport(std::string_view output) {
  // The last report's first line: the latest of the marks' last occurrences.
  std::optional<std::size_t> start;
  bool runtimeError = false;
  for (std::string_view mark : kFirstLineMarks) {
    std::size_t at = output.rfind(mark);
    if (at == npos) continue;
    std::size_t line = startOfLine(output, at);
    if (!start || line > *start) {
      start = line;
      runtimeError = mark == kFirstLineMarks.back();
    }
  }
  // Cut short before its first line (the output kept is a tail): its SUMMARY line alone, if that is there.
  std::size_t from = start.value_or(0);
  std::size_t summaryAt = npos;
  for (std::size_t at = output.find(kSummaryMark, from); at != npos; at = output.find(kSummaryMark, at + 1)) {
    if (startOfLine(output, at) == at && lineFrom(output, at).find("Sanitizer: ") != npos) {
      summaryAt = at;
      break;
    }
  }
  if (!start && summaryAt == npos) return std::nullopt;
  if (!start) start = summaryAt;

  SanitizerReport report;
  std::string_view first = lineFrom(output, *start);
  std::size_t end = summaryAt == npos ? output.size() : summaryAt + lineFrom(output, summaryAt).size();
  report.text = printable(output.substr(*start, end - *start), kMaxReportBytes);
  std::string_view summary;
  if (summaryAt != npos) {
    summary = lineFrom(output, summaryAt).substr(kSummaryMark.size());
  } else if (runtimeError) {
    summary = first;
  } else {
    // "==1234==ERROR: AddressSanitizer: ..." -> "AddressSanitizer: ..."
    std::size_t tool = first.find("ERROR: ");
    if (tool == npos) tool = first.find("WARNING: ");
    summary = first.substr(tool == npos ? 0 : first.find(' ', tool) + 1);
  }
  report.summary = printable(summary, kMaxSummaryBytes);
  // A runtime error's line also holds the values involved ("2147483647 + 1 cannot be represented"): its
  // place is what makes it the same.
  std::string_view keyed = report.summary;
  constexpr std::string_view kRuntimeError = ": runtime error";
  if (std::size_t at = keyed.find(kRuntimeError); runtimeError && summaryAt == npos && at != npos) {
    keyed = keyed.substr(0, at + kRuntimeError.size());
  }
  report.key = keyOf(keyed);
  return report;
}

}  // namespace sockspec::blackbox
