// `--service framed` over a stream: the request script after a HELLO/WELCOME handshake, or with --raw the
// input bytes as they are (to see how a server answers garbage). Frames are encoded and decoded by the
// harness's one codec (proto/framed_codec.h); docs/client.md describes what is printed.
#pragma once

#include <string_view>
#include <vector>

#include "client_outcome.h"
#include "exchange_context.h"
#include "framed_script.h"
#include "net/unique_fd.h"

namespace sockspec::client {

// HELLO, WELCOME, then each request and its checked reply (one output line per request), then BYE,
// BYE_REPLY and the server's close, unless the script said bye itself. `scriptName` names the input in
// messages ("script.txt:3: ..."). Leaves `fd` open after a normal end; --abort resets and closes it here.
Outcome runFramedScript(net::UniqueFd& fd, const std::vector<ScriptRequest>& script,
                        std::string_view scriptName, const ExchangeContext& context);

// Sends `input` unchanged while printing every frame that comes back. Succeeds only when the server's last
// frame is an ERROR and it then closes in order: the right answer to input that breaks the protocol.
Outcome runFramedRaw(net::UniqueFd& fd, std::string_view input, const ExchangeContext& context);

}  // namespace sockspec::client
