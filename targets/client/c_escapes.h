// C escapes in text given on the command line (--data) or in a framed request script: \n \r \t \\ \xNN.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/expected.h"

namespace sockspec::client {

struct EscapeError {
  std::string message;  // "unknown escape '\q'"
  std::size_t column;   // 1-based column in the text of the backslash
};

// The bytes `text` stands for. Any other backslash sequence, a lone trailing backslash, or \x without two
// hex digits is an error naming its column; nothing is guessed.
Expected<std::string, EscapeError> decodeCEscapes(std::string_view text);

}  // namespace sockspec::client
