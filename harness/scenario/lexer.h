// Splits one line of a scenario file into tokens, each with its column. Strings are decoded here (escapes
// \n \r \t \0 \\ \" \xNN); comments (# to the end of the line, outside strings) are dropped.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace sockspec::scenario {

struct Token {
  enum class Kind { Word, Number, String, Equals, Arrow, Star, LeftParen, RightParen, Bar };
  Kind kind = Kind::Word;
  std::string text;  // Word, Number (as written, e.g. "4KiB", "500ms"), String (decoded bytes)
  int column = 0;    // 1-based
};

struct LexError {
  int column = 0;
  std::string message;
};

// Longest line accepted: long enough for any real step, short enough that garbage fails fast and clearly.
inline constexpr std::size_t kMaxLineBytes = 4096;

// Tokens of `line` (without its newline). Fails at the first byte that cannot start or continue a token,
// an unterminated string, a bad escape, invalid UTF-8 or a NUL byte.
Expected<std::vector<Token>, LexError> tokenizeLine(std::string_view line);

// Where the first invalid UTF-8 sequence starts, or npos (RFC 3629: no overlongs, surrogates, > U+10FFFF).
std::size_t findInvalidUtf8(std::string_view text);

}  // namespace sockspec::scenario
