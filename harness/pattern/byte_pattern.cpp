#include "pattern/byte_pattern.h"

#include <re2/re2.h>

#include <fmt/format.h>

#include "base/display_escape.h"

namespace sockspec::pattern {

namespace {

// RE2 refuses to compile a program larger than this, so that a hostile pattern ("(a{1000}){1000}") is an
// error and not a gigabyte. RE2's default is 8 MiB; patterns for a reply need far less.
constexpr std::int64_t kRegexMemoryBudget = 4 << 20;

}  // namespace

std::string_view patternKindName(PatternKind kind) {
  switch (kind) {
    case PatternKind::Exact: return "exact";
    case PatternKind::Prefix: return "prefix";
    case PatternKind::Contains: return "contains";
    case PatternKind::Regex: return "matches";
  }
  return "exact";
}

Expected<BytePattern, std::string> BytePattern::make(PatternKind kind, std::string text) {
  BytePattern pattern(kind, std::move(text));
  if (kind != PatternKind::Regex) return pattern;
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);  // bytes, not UTF-8
  options.set_log_errors(false);
  options.set_max_mem(kRegexMemoryBudget);
  options.set_dot_nl(false);
  auto regex = std::make_shared<const RE2>(re2::StringPiece(pattern.m_text), options);
  if (!regex->ok()) return Unexpected{regex->error()};
  pattern.m_regex = std::move(regex);
  return pattern;
}

BytePattern BytePattern::exact(std::string bytes) { return BytePattern(PatternKind::Exact, std::move(bytes)); }

bool BytePattern::matches(std::string_view bytes) const {
  switch (m_kind) {
    case PatternKind::Exact: return bytes == m_text;
    case PatternKind::Prefix: return bytes.substr(0, m_text.size()) == m_text;
    case PatternKind::Contains: return bytes.find(m_text) != std::string_view::npos;
    case PatternKind::Regex:
      return m_regex != nullptr && RE2::PartialMatch(re2::StringPiece(bytes.data(), bytes.size()), *m_regex);
  }
  return false;
}

std::string BytePattern::describe() const {
  std::string quoted = fmt::format("\"{}\"", escapeForDisplay(m_text));
  if (m_kind == PatternKind::Exact) return quoted;
  return fmt::format("{} {}", patternKindName(m_kind), quoted);
}

}  // namespace sockspec::pattern
