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
  enum class Kind { Name, Integer, Bytes, Keyword, Duration };
  Kind kind = Kind::Name;
  std::string text;             // Name and Keyword: the word; Bytes: the bytes themselves
  std::int64_t integer = 0;     // Integer
  std::chrono::milliseconds duration{0};  // Duration
  SourcePlace place;
  bool operator==(const Argument& other) const {
    return kind == other.kind && text == other.text && integer == other.integer && duration == other.duration;
  }
};

// What a step must give. Without "->" a step must simply succeed.
struct Expectation {
  enum class Kind {
    Success,  // no error (the default)
    Count,    // a return value: bytes sent or received
    Errno,    // failure with one of `errnos` (names, e.g. "ECONNRESET")
    Bytes,    // recv: exactly these bytes
    Eof,      // recv on a stream: 0, the peer shut down writing
    Blocks,   // the call would block: nothing is ready (checked without waiting)
    Any,      // anything, the step is there for its side effect
    Word,     // check: a state name such as ESTABLISHED, in `word`
  };
  Kind kind = Kind::Success;
  std::int64_t count = 0;
  std::vector<std::string> errnos;
  std::string bytes;
  std::string word;
  std::vector<std::string> flags;  // recvmsg: msg_flags that must be set, e.g. MSG_TRUNC
  SourcePlace place;
  bool operator==(const Expectation& other) const {
    return kind == other.kind && count == other.count && errnos == other.errnos && bytes == other.bytes &&
           word == other.word && flags == other.flags;
  }
};

struct Step {
  SourcePlace place;
  std::string result;  // "name = verb ...": the name the step's new socket gets (socket, accept)
  Verb verb = Verb::Socket;  // resolved by the parser; verbName(verb) is how it was written
  std::vector<Argument> arguments;
  Expectation expect;
  std::optional<std::chrono::milliseconds> within;  // the step's deadline, if not the default
  bool operator==(const Step& other) const {
    return result == other.result && verb == other.verb && arguments == other.arguments &&
           expect == other.expect && within == other.within;
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
