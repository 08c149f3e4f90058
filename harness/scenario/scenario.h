// The parsed form of a scenario file (docs/scenario-language.md): a header that says what the scenario is
// about and where its expectation comes from, then one socket step per line. Pure data; the parser builds
// it, the printer writes it back, the runner executes it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/socket_kind.h"
#include "pattern/byte_pattern.h"
#include "scenario/verbs.h"

namespace sockspec::scenario {

struct SourcePlace {
  std::string file;
  int line = 0;    // 1-based
  int column = 0;  // 1-based, in bytes
  bool operator==(const SourcePlace&) const = default;
};

// The socket kinds a scenario runs over, its "families": net::SocketKind, named here as the language does.
using Family = net::SocketKind;

// One argument of a step, as written. Which kinds a verb takes is in verbs.h; what its words stand for, in
// symbols.h.
struct Argument {
  enum class Kind {
    Name,
    Integer,
    Bytes,
    Keyword,
    Duration,
    Option,  // "max 1024", "at 2": `text` is the word, `integer` the value
    File,  // send-file's "PATH": `text` is the path as written, `fileBytes` what the file held at parse time
  };
  Kind kind = Kind::Name;
  std::string text;             // Name and Keyword: the word; Bytes: the bytes themselves
  std::int64_t integer = 0;     // Integer, Option
  std::chrono::milliseconds duration{0};  // Duration
  std::string fileBytes;                  // File
  SourcePlace place;
  bool operator==(const Argument& other) const {
    return kind == other.kind && text == other.text && integer == other.integer &&
           duration == other.duration && fileBytes == other.fileBytes;
  }
};

// What a step must give. Without "->" a step must simply succeed.
struct Expectation {
  enum class Kind {
    Success,  // no error (the default)
    Count,    // a return value: bytes sent or received (and, when `data` is set, the bytes read match it)
    Errno,    // failure with one of `errnos` (names, e.g. "ECONNRESET")
    Bytes,    // recv, recvmsg, the read verbs: the bytes read match `data` (exact, prefix, contains, regex)
    Eof,      // recv on a stream: 0, the peer shut down writing
    Blocks,   // the call would block: nothing is ready (checked without waiting)
    Any,      // anything, the step is there for its side effect
    Word,     // check: a state name such as ESTABLISHED, in `word`
  };
  Kind kind = Kind::Success;
  std::int64_t count = 0;
  std::vector<std::string> errnos;
  std::optional<pattern::BytePattern> data;  // Bytes (always), Count (optionally): what the bytes read match
  std::string word;
  std::vector<std::string> flags;  // recvmsg: msg_flags that must be set, e.g. MSG_TRUNC
  SourcePlace place;
  bool operator==(const Expectation& other) const {
    return kind == other.kind && count == other.count && errnos == other.errnos && data == other.data &&
           word == other.word && flags == other.flags;
  }
};

// "repeat N STEP" runs a step at most this many times: enough for load-like loops, small enough that a typo
// (an extra zero or three) is a parse error rather than an hour's run.
inline constexpr std::int64_t kMaxRepeat = 100'000;

struct Step {
  SourcePlace place;
  std::string result;  // "name = verb ...": the name the step's new socket gets (socket, accept)
  Verb verb = Verb::Socket;  // resolved by the parser; verbName(verb) is how it was written
  std::vector<Argument> arguments;
  Expectation expect;
  std::optional<std::chrono::milliseconds> within;  // the step's deadline, if not the default
  std::int64_t repeat = 1;  // "repeat N STEP": run N times, each meeting the expectation (1 to kMaxRepeat)
  bool operator==(const Step& other) const {
    return result == other.result && verb == other.verb && arguments == other.arguments &&
           expect == other.expect && within == other.within && repeat == other.repeat;
  }
};

struct Scenario {
  std::string file;
  std::string id;     // "close.unread-data-rst"
  std::string title;  // one line for people
  std::vector<Family> families;
  std::vector<int> claims;     // the tutorial's claims it tests (1-4), each tagged "claim N confirms|refutes"
  std::vector<int> refutes;    // the subset of `claims` that this scenario passing refutes (else: confirms)
  std::string source;          // where the expectation comes from: man page, RFC, kernel function
  std::vector<std::string> requirements;  // "netns", "root": run only where available, else skipped
  std::vector<std::string> sysctls;   // "net.ipv4.tcp_abort_on_overflow=1": set in the scenario's netns
  std::vector<Step> steps;
  // Whether a `requires` line names `word` ("netns", "root", "target").
  bool hasRequirement(std::string_view word) const {
    for (const auto& requirement : requirements) {
      if (requirement == word) return true;
    }
    return false;
  }
  bool operator==(const Scenario& other) const {
    return id == other.id && title == other.title && families == other.families && claims == other.claims && refutes == other.refutes &&
           source == other.source && requirements == other.requirements && sysctls == other.sysctls &&
           steps == other.steps;
  }
};

inline std::string_view familyName(Family family) { return net::socketKindName(family); }  // "tcp4", ...
inline std::optional<Family> familyFromName(std::string_view name) { return net::socketKindFromName(name); }

}  // namespace sockspec::scenario
