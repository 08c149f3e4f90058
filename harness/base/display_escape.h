// Makes untrusted text (a command-line argument, a line of a scenario file) safe to show on a terminal.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sockspec {

// Printable ASCII stays; \n \r \t \\ and other bytes become C escapes (\x00). Longer input is cut at
// `maxBytes` with "..." appended, so a 1 MB garbage line still makes a one-line message.
std::string escapeForDisplay(std::string_view text, std::size_t maxBytes = 120);

}  // namespace sockspec
