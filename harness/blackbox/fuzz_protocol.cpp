#include "blackbox/fuzz_protocol.h"

#include <fmt/format.h>

#include "base/c_escapes.h"

namespace sockspec::blackbox {

namespace {

Expected<std::string, std::string> decodeOption(std::string_view option, std::string_view text) {
  auto decoded = decodeCEscapes(text);
  if (!decoded) {
    return Unexpected{fmt::format("{} '{}': column {}: {}", option, text, decoded.error().column,
                                  decoded.error().message)};
  }
  return *decoded;
}

}  // namespace

std::optional<FuzzProtocolKind> fuzzProtocolFromName(std::string_view name) {
  for (auto kind : {FuzzProtocolKind::Echo, FuzzProtocolKind::Framed, FuzzProtocolKind::Any}) {
    if (fuzzProtocolName(kind) == name) return kind;
  }
  return std::nullopt;
}

std::string_view fuzzProtocolName(FuzzProtocolKind kind) {
  switch (kind) {
    case FuzzProtocolKind::Echo: return "echo";
    case FuzzProtocolKind::Framed: return "framed";
    case FuzzProtocolKind::Any: return "any";
  }
  return "?";
}

bool FuzzProtocol::replyMatches(std::string_view bytes) const {
  if (!replyEnd.empty() && bytes.size() >= replyEnd.size() &&
      bytes.substr(bytes.size() - replyEnd.size()) == replyEnd) {
    return true;
  }
  return reply && reply->matches(bytes);
}

Expected<FuzzProtocol, std::string> makeFuzzProtocol(std::string_view service, std::string_view replyEndText,
                                                     std::string_view replyRegex, std::string_view probeText) {
  auto kind = fuzzProtocolFromName(service);
  if (!kind) return Unexpected{fmt::format("--service '{}': expected echo, framed or any", service)};
  FuzzProtocol protocol;
  protocol.kind = *kind;
  if (!protocol.any()) {
    for (auto [option, text] : {std::pair{"--reply-end", replyEndText}, std::pair{"--reply", replyRegex},
                                std::pair{"--probe", probeText}}) {
      if (!text.empty()) {
        return Unexpected{fmt::format("{} goes with --service any: {} replies are known in advance", option,
                                      service)};
      }
    }
    return protocol;
  }
  auto end = decodeOption("--reply-end", replyEndText);
  if (!end) return Unexpected{end.error()};
  protocol.replyEnd = *end;
  if (!replyRegex.empty()) {
    auto compiled = pattern::BytePattern::make(pattern::PatternKind::Regex, std::string(replyRegex));
    if (!compiled) return Unexpected{fmt::format("--reply '{}': {}", replyRegex, compiled.error())};
    protocol.reply = std::move(*compiled);
  }
  auto probe = decodeOption("--probe", probeText);
  if (!probe) return Unexpected{probe.error()};
  protocol.probe = *probe;
  return protocol;
}

}  // namespace sockspec::blackbox
