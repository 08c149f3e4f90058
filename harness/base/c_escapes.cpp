#include "base/c_escapes.h"

#include <fmt/format.h>

#include "base/display_escape.h"

namespace sockspec {

namespace {

int hexValue(char digit) {
  if (digit >= '0' && digit <= '9') return digit - '0';
  if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
  if (digit >= 'A' && digit <= 'F') return digit - 'A' + 10;
  return -1;
}

}  // namespace

Expected<std::string, EscapeError> decodeCEscapes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out += text[i];
      continue;
    }
    const std::size_t column = i + 1;
    if (i + 1 == text.size())
      return Unexpected{EscapeError{"a lone '\\' ends the text (write \\\\ for one)", column}};
    const char kind = text[++i];
    switch (kind) {
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case '0':
        out += '\0';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      case 'x': {
        const int high = i + 1 < text.size() ? hexValue(text[i + 1]) : -1;
        const int low = i + 2 < text.size() ? hexValue(text[i + 2]) : -1;
        if (high < 0 || low < 0) {
          return Unexpected{EscapeError{
              fmt::format("'\\x{}' needs two hex digits", escapeForDisplay(text.substr(i + 1, 2))), column}};
        }
        out += static_cast<char>(high * 16 + low);
        i += 2;
        break;
      }
      default:
        return Unexpected{EscapeError{fmt::format("unknown escape '\\{}': expected \\n \\r \\t \\0 \\\\ \\\" or \\xNN",
                                                  escapeForDisplay(text.substr(i, 1))),
                                      column}};
    }
  }
  return out;
}

}  // namespace sockspec
