// Quoting a word for /bin/sh: the one place sockspec builds shell text (the target's output redirection, the
// command lines written into reproducers' sidecars).
#pragma once

#include <string>
#include <string_view>

namespace sockspec {

// `text` in single quotes, each ' written as '\'' (sh(1): nothing inside single quotes is special), so the
// shell reads back exactly `text`.
inline std::string shellQuote(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace sockspec
