// The request script of `--service framed`: one request per line,
//   echo TEXT      reverse TEXT      stats      bye
// TEXT is the rest of the line after one space, with C escapes (\n \r \t \\ \xNN) decoded. Blank lines and
// lines whose first non-blank character is '#' are skipped; nothing may follow `bye`, since the server
// closes the connection after answering it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "proto/framed_codec.h"

namespace sockspec::client {

struct ScriptRequest {
  proto::FrameType type = proto::FrameType::Echo;  // Echo, Reverse, Stats or Bye
  std::string payload;                             // Echo and Reverse: the decoded TEXT
  std::size_t line = 0;                            // 1-based line of the script
};

struct ScriptError {
  std::size_t line = 0;    // 1-based
  std::size_t column = 0;  // 1-based byte column
  std::string message;
};

// Parses a whole script; the first problem ends the parse.
Expected<std::vector<ScriptRequest>, ScriptError> parseFramedScript(std::string_view script);

// The frame a request is sent as.
proto::Frame toFrame(const ScriptRequest& request);

}  // namespace sockspec::client
