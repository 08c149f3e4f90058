// C escapes in bytes given as text on a command line (the client's --data, run's --request) or in a framed
// request script: the scenario language's string escapes, \n \r \t \0 \\ \" \xNN (its lexer reads them
// inside quotes itself).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/expected.h"

namespace sockspec {

struct EscapeError {
  std::string message;  // "unknown escape '\q'"
  std::size_t column;   // 1-based column in the text of the backslash
};

// The bytes `text` stands for. Any other backslash sequence, a lone trailing backslash, or \x without two
// hex digits is an error naming its column; nothing is guessed.
Expected<std::string, EscapeError> decodeCEscapes(std::string_view text);

}  // namespace sockspec
