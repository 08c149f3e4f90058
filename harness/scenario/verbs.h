// The verbs of the scenario language, each defined once: its arguments, whether it names a result, and its
// help text. The parser checks steps against this table; the runner dispatches on the verb. The words a
// step's arguments may be come from the symbols table (scenario/symbols.h).
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace sockspec::scenario {

enum class ParamKind {
  Socket,         // a name given earlier by "name = socket" or "name = accept"
  Integer,        // 42, 4KiB, 1MiB
  Bytes,          // "text\n" * 3 ...
  Word,           // one of `words`
  OptionalWord,   // one of `words`, or nothing
  OptionalSocket, // a socket name, or nothing
  OptionalInteger,
  Flags,          // zero or more of `words`
};

struct ParamSpec {
  ParamKind kind;
  std::string_view name;                    // for messages: "backlog", "how"
  std::span<const std::string_view> words;  // Word, OptionalWord, Flags: from scenario/symbols.h
};

enum class ResultRule { None, Required };

struct VerbSpec {
  std::string_view verb;
  ResultRule result;
  std::vector<ParamSpec> params;
  std::string_view synopsis;  // "listen SOCKET BACKLOG"
  std::string_view help;
};

std::span<const VerbSpec> verbTable();
const VerbSpec* findVerb(std::string_view verb);

}  // namespace sockspec::scenario
