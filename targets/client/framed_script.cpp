#include "framed_script.h"

#include <fmt/format.h>

#include <cstdint>
#include <limits>

#include "base/display_escape.h"
#include "base/c_escapes.h"

namespace sockspec::client {

namespace {

bool isBlank(char c) {
  return c == ' ' || c == '\t';
}

Unexpected<ScriptError> failAt(std::size_t line, std::size_t offset, std::string message) {
  return Unexpected{ScriptError{line, offset + 1, std::move(message)}};
}

struct Keyword {
  std::string_view word;
  proto::FrameType type;
  bool takesText;
};
constexpr Keyword kKeywords[] = {
    {"echo", proto::FrameType::Echo, true},
    {"reverse", proto::FrameType::Reverse, true},
    {"stats", proto::FrameType::Stats, false},
    {"bye", proto::FrameType::Bye, false},
};

}  // namespace

Expected<std::vector<ScriptRequest>, ScriptError> parseFramedScript(std::string_view script) {
  std::vector<ScriptRequest> requests;
  std::size_t byeLine = 0;
  std::size_t start = 0;
  for (std::size_t lineNumber = 1; start < script.size(); ++lineNumber) {
    std::size_t end = script.find('\n', start);
    if (end == std::string_view::npos) end = script.size();
    std::string_view line = script.substr(start, end - start);
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // a script saved with CRLF

    std::size_t at = 0;
    while (at < line.size() && isBlank(line[at])) ++at;
    if (at == line.size() || line[at] == '#') continue;

    std::size_t wordEnd = at;
    while (wordEnd < line.size() && !isBlank(line[wordEnd])) ++wordEnd;
    const std::string_view word = line.substr(at, wordEnd - at);
    const Keyword* keyword = nullptr;
    for (const Keyword& candidate : kKeywords) {
      if (candidate.word == word) keyword = &candidate;
    }
    if (keyword == nullptr) {
      return failAt(lineNumber, at,
                    fmt::format("unknown request '{}': expected echo TEXT, reverse TEXT, stats or bye",
                                escapeForDisplay(word, 40)));
    }
    if (byeLine != 0) {
      return failAt(lineNumber, at,
                    fmt::format("'{}' after the bye on line {}: the server closes the connection after bye",
                                word, byeLine));
    }

    ScriptRequest request{keyword->type, {}, lineNumber};
    if (keyword->takesText) {
      // TEXT is everything after the one separating space or tab, so it can start or end with blanks.
      const std::size_t textStart = std::min(wordEnd + 1, line.size());
      auto text = decodeCEscapes(line.substr(textStart));
      if (!text) return failAt(lineNumber, textStart + text.error().column - 1, text.error().message);
      if (text->size() > std::numeric_limits<std::uint32_t>::max()) {
        return failAt(lineNumber, textStart, fmt::format("{} bytes do not fit in one frame", text->size()));
      }
      request.payload = std::move(*text);
    } else {
      std::size_t extra = wordEnd;
      while (extra < line.size() && isBlank(line[extra])) ++extra;
      if (extra < line.size()) return failAt(lineNumber, extra, fmt::format("'{}' takes no argument", word));
    }
    if (request.type == proto::FrameType::Bye) byeLine = lineNumber;
    requests.push_back(std::move(request));
  }
  return requests;
}

proto::Frame toFrame(const ScriptRequest& request) {
  proto::Frame frame{request.type, {}};
  frame.payload.assign(request.payload.begin(), request.payload.end());
  return frame;
}

}  // namespace sockspec::client
