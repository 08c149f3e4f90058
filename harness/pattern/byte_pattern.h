// What a reply must match, when its bytes are not known in advance: a greeting with a timestamp, an HTTP
// status line, a value of unknown length. Exact bytes, a prefix, a substring, or a regular expression.
// Regular expressions are RE2's (github.com/google/re2/wiki/Syntax): linear in the input, with no
// backtracking, because patterns come from untrusted scenario files and command lines, and the bytes they
// run over come from the server under test. Patterns and bytes are Latin-1 to RE2, so any byte matches
// `.` or `\xNN`, and a reply that is not UTF-8 is still matched byte for byte.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/expected.h"

namespace re2 {
class RE2;
}

namespace sockspec::pattern {

enum class PatternKind {
  Exact,     // the bytes, all of them
  Prefix,    // the bytes start with the text
  Contains,  // the text occurs somewhere in the bytes
  Regex,     // RE2 search: unanchored unless the pattern says ^ or $ ($ is the very end; \n is a byte)
};

// "exact", "prefix", "contains", "matches": the words the scenario language and the options use.
std::string_view patternKindName(PatternKind kind);

class BytePattern {
 public:
  // A pattern of `kind`. For Regex, `text` is compiled now: a pattern RE2 rejects (or one larger than
  // RE2's memory budget allows) is an error naming RE2's reason, e.g. "missing ): (ab".
  static Expected<BytePattern, std::string> make(PatternKind kind, std::string text);
  static BytePattern exact(std::string bytes);

  PatternKind kind() const { return m_kind; }
  const std::string& text() const { return m_text; }

  bool matches(std::string_view bytes) const;
  // `prefix "+PONG"`, `matches "^HTTP/1\.[01] 200 "`: the pattern as the language writes it, escaped so
  // that the result is one printable line.
  std::string describe() const;

  bool operator==(const BytePattern& other) const { return m_kind == other.m_kind && m_text == other.m_text; }

 private:
  BytePattern(PatternKind kind, std::string text) : m_kind(kind), m_text(std::move(text)) {}

  PatternKind m_kind = PatternKind::Exact;
  std::string m_text;
  std::shared_ptr<const re2::RE2> m_regex;  // Regex only; shared: copies of a pattern match alike
};

}  // namespace sockspec::pattern
