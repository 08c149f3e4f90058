#include "scenario/lexer.h"

#include <fmt/format.h>

#include "base/display_escape.h"

namespace sockspec::scenario {

namespace {

bool isWordStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool isWordChar(char c) { return isWordStart(c) || (c >= '0' && c <= '9') || c == '.' || c == '-'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Unexpected<LexError> failAt(std::size_t offset, std::string message) {
  return Unexpected{LexError{static_cast<int>(offset + 1), std::move(message)}};
}

}  // namespace

std::size_t findInvalidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t lowest = 0;
    std::uint32_t value = 0;
    if ((byte & 0xE0) == 0xC0) {
      length = 2, lowest = 0x80, value = byte & 0x1Fu;
    } else if ((byte & 0xF0) == 0xE0) {
      length = 3, lowest = 0x800, value = byte & 0x0Fu;
    } else if ((byte & 0xF8) == 0xF0) {
      length = 4, lowest = 0x10000, value = byte & 0x07u;
    } else {
      return i;
    }
    if (i + length > text.size()) return i;
    for (std::size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return i;
      value = (value << 6) | (next & 0x3Fu);
    }
    if (value < lowest || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return i;
    i += length;
  }
  return std::string_view::npos;
}

Expected<std::vector<Token>, LexError> tokenizeLine(std::string_view line) {
  if (line.size() > kMaxLineBytes) {
    return failAt(kMaxLineBytes, fmt::format("line is {} bytes long; at most {} are allowed", line.size(),
                                             kMaxLineBytes));
  }
  if (auto nul = line.find('\0'); nul != std::string_view::npos) return failAt(nul, "NUL byte in the file");
  if (auto bad = findInvalidUtf8(line); bad != std::string_view::npos) {
    return failAt(bad, fmt::format("invalid UTF-8 (byte 0x{:02x}); scenario files are UTF-8 text",
                                   static_cast<unsigned char>(line[bad])));
  }

  std::vector<Token> tokens;
  std::size_t i = 0;
  // Bounded: every pass consumes at least one byte.
  while (i < line.size()) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '#') break;
    Token token;
    token.column = static_cast<int>(i + 1);
    if (isWordStart(c)) {
      std::size_t start = i;
      while (i < line.size() && isWordChar(line[i])) ++i;
      token.kind = Token::Kind::Word;
      token.text = std::string(line.substr(start, i - start));
    } else if (isDigit(c) || ((c == '+' || c == '-') && i + 1 < line.size() && isDigit(line[i + 1]))) {
      std::size_t start = i++;
      while (i < line.size() && (isDigit(line[i]) || isWordStart(line[i]))) ++i;
      token.kind = Token::Kind::Number;
      token.text = std::string(line.substr(start, i - start));
    } else if (c == '"') {
      token.kind = Token::Kind::String;
      std::size_t start = i++;
      bool closed = false;
      while (i < line.size()) {
        char d = line[i];
        if (d == '"') {
          closed = true;
          ++i;
          break;
        }
        if (d != '\\') {
          token.text += d;
          ++i;
          continue;
        }
        if (i + 1 >= line.size()) return failAt(i, "a '\\' at the end of the line escapes nothing");
        char e = line[i + 1];
        switch (e) {
          case 'n': token.text += '\n'; break;
          case 'r': token.text += '\r'; break;
          case 't': token.text += '\t'; break;
          case '0': token.text += '\0'; break;
          case '\\': token.text += '\\'; break;
          case '"': token.text += '"'; break;
          case 'x': {
            int high = i + 2 < line.size() ? hexValue(line[i + 2]) : -1;
            int low = i + 3 < line.size() ? hexValue(line[i + 3]) : -1;
            if (high < 0 || low < 0) return failAt(i, "'\\x' needs two hex digits, e.g. \\x00 or \\xff");
            token.text += static_cast<char>(high * 16 + low);
            i += 2;
            break;
          }
          default:
            return failAt(i, fmt::format("unknown escape '\\{}': expected \\n \\r \\t \\0 \\\\ \\\" or \\xNN",
                                         escapeForDisplay(std::string_view(&line[i + 1], 1))));
        }
        i += 2;
      }
      if (!closed) return failAt(start, "unterminated string: no closing '\"' on this line");
    } else if (c == '-' && i + 1 < line.size() && line[i + 1] == '>') {
      token.kind = Token::Kind::Arrow;
      i += 2;
    } else if (c == '=') {
      token.kind = Token::Kind::Equals, ++i;
    } else if (c == '*') {
      token.kind = Token::Kind::Star, ++i;
    } else if (c == '(') {
      token.kind = Token::Kind::LeftParen, ++i;
    } else if (c == ')') {
      token.kind = Token::Kind::RightParen, ++i;
    } else if (c == '|') {
      token.kind = Token::Kind::Bar, ++i;
    } else {
      return failAt(i, fmt::format("unexpected '{}'", escapeForDisplay(line.substr(i, 1))));
    }
    tokens.push_back(std::move(token));
  }
  return tokens;
}

}  // namespace sockspec::scenario
