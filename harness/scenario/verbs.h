// The verbs of the scenario language, each defined once by one row of the verb table: its name, its
// arguments, whether it names a result, what it yields, and its help text. The parser resolves a step's
// verb to a Verb through this table and checks the step against its row; the printer writes the row's
// name; the runner dispatches on the Verb (runner/step_runner.cpp, one handler per verb). A new verb is
// one enumerator here, one row in verbs.cpp and one handler in step_runner.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace sockspec::scenario {

// In table order: the order "unknown verb ..." lists them in.
enum class Verb {
  Socket,
  Bind,
  BindTo,
  Listen,
  Accept,
  Connect,
  ConnectTarget,
  Send,
  SendTo,
  SendFile,
  Recv,
  RecvMsg,
  ReadLine,
  ReadUntil,
  Read,
  ReadEof,
  ReadPrefixed,
  Shutdown,
  Close,
  SetSockOpt,
  Nonblocking,
  Wait,
  Fill,
  Drain,
  Check,
  Counter,
  Wire,  // keep last: kVerbCount counts up to it
};
inline constexpr std::size_t kVerbCount = static_cast<std::size_t>(Verb::Wire) + 1;

enum class ParamKind {
  Socket,          // a name given earlier by "name = socket" or "name = accept"
  Integer,         // 42, 4KiB, 1MiB
  Bytes,           // "text\n" * 3 ...
  Word,            // one of `words`
  OptionalWord,    // one of `words`, or nothing
  OptionalSocket,  // a socket name, or nothing
  OptionalInteger,
  Flags,     // zero or more of `words`
  Option,    // "NAME N" or nothing, NAME being the param's name ("max 1024", "at 2")
  FilePath,  // a quoted path; the file's bytes are read at parse time (send-file)
};

struct ParamSpec {
  ParamKind kind;
  std::string_view name;                    // for messages: "backlog", "how"; Option: the word written
  std::span<const std::string_view> words;  // Word, OptionalWord, Flags: from scenario/symbols.h
  // Integer, Option: the values allowed; Bytes: the fewest bytes allowed (least). Outside: a parse error.
  std::int64_t least = INT32_MIN;
  std::int64_t most = INT32_MAX;
  std::string_view boundsReason = {};  // Integer: why the bounds are what they are, for the parse error
};

// The read verbs (read, read-line, read-until, read-eof, read-prefixed) return at most `max N` bytes: this
// many without `max`, and `max` at most kReadLimitCeiling (the largest byte string the language holds).
inline constexpr std::int64_t kDefaultReadLimit = std::int64_t{64} * 1024;
inline constexpr std::int64_t kReadLimitCeiling = std::int64_t{16} * 1024 * 1024;

enum class ResultRule { None, Required };

// Whether a step is written with "-> EXPECTATION".
enum class ExpectationRule {
  Optional,  // without "->" the step must simply succeed
  Required,  // check: the value read is the step's point, so even "-> ok" is written (and printed)
};

// What a step gives back: which expectations it can meet and how its outcome is described.
enum class Yields {
  Status,               // a return value or an errno
  Data,                 // recv, the read verbs: also the bytes read
  DataAndMessageFlags,  // recvmsg: also msg_flags, which the expectation names exactly (recvmsg(2))
  KernelState,          // check: a number, an errno, or a word (a TCP state, yes, no)
};

struct VerbSpec {
  Verb verb;
  std::string_view name;  // as written in scenarios: "bind-to"
  ResultRule result;
  std::vector<ParamSpec> params;
  std::string_view synopsis;  // "listen SOCKET BACKLOG"
  std::string_view help;
  ExpectationRule expectation = ExpectationRule::Optional;
  Yields yields = Yields::Status;
  bool needsTarget = false;  // the header must say 'requires target' (the server under test)
  bool streamOnly = false;   // reads a byte stream: refused for datagram and seqpacket families
};

// Every row, in Verb order.
std::span<const VerbSpec> verbTable();
// The row of `verb`; every Verb has one (tests/unit/scenario_verbs_test.cpp).
const VerbSpec& verbSpec(Verb verb);
// The row named `name`, or nullptr for a word that is no verb.
const VerbSpec* findVerb(std::string_view name);
// "bind-to": for printing and messages.
std::string_view verbName(Verb verb);

}  // namespace sockspec::scenario
