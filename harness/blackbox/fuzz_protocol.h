// What `sockspec fuzz` and `sockspec replay` know of the protocol the server speaks (--service and the reply
// options, docs/fuzzing-black-box.md): a service whose replies they can predict (echo, framed), or any
// protocol at all, whose replies they cannot predict but can tell complete:
//   the server closed the connection; the reply ends with --reply-end's bytes or matches --reply's RE2
//   pattern; or the server went quiet for a gap learned from its own replies (reply_timing.h).
// With `any`, an input is a conversation: messages separated by kMessageSeparator (conversation.h), each sent
// once the reply to the one before is complete, all on one connection (TCP, unix stream) or as one datagram
// each from one socket (UDP, unix datagram).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/expected.h"
#include "pattern/byte_pattern.h"

namespace sockspec::blackbox {

enum class FuzzProtocolKind { Echo, Framed, Any };

// "echo", "framed", "any"; nullopt for any other name (daytime, chargen and discard included).
std::optional<FuzzProtocolKind> fuzzProtocolFromName(std::string_view name);
std::string_view fuzzProtocolName(FuzzProtocolKind kind);

struct FuzzProtocol {
  FuzzProtocolKind kind = FuzzProtocolKind::Echo;
  std::string replyEnd;                      // any: bytes that end a complete reply ("" none)
  std::optional<pattern::BytePattern> reply;  // any: a complete reply matches it (RE2 search)
  std::string probe;  // any: a request every working server answers ("" none: only a refused connect tells)

  // Whether `reply` (all of one message's reply so far) is complete by --reply-end or --reply; false when
  // neither was given (then only a close or the quiet gap ends it).
  bool replyMatches(std::string_view reply) const;
  bool any() const { return kind == FuzzProtocolKind::Any; }
};

// A protocol of `kind` with no reply options (tests, and echo and framed).
inline FuzzProtocol protocolOf(FuzzProtocolKind kind) {
  FuzzProtocol protocol;
  protocol.kind = kind;
  return protocol;
}

// The protocol named `service` with the reply options, as the command line gives them: --reply-end and
// --probe in C escapes (base/c_escapes.h), --reply an RE2 pattern. The error names the option and the column
// or RE2's reason; the reply options go with `any` only.
Expected<FuzzProtocol, std::string> makeFuzzProtocol(std::string_view service, std::string_view replyEndText,
                                                     std::string_view replyRegex, std::string_view probeText);

}  // namespace sockspec::blackbox
