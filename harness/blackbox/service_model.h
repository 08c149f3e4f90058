// What sockspec fuzz and replay know about the services they test: which reply is complete for an input
// (so that a connection the server keeps open afterwards is not a hang), a one-line account of what the
// server did, and the seed inputs the fuzzer starts from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "blackbox/fuzz_protocol.h"
#include "blackbox/input_exchange.h"

namespace sockspec::blackbox {

// Echo: every byte sent came back. Framed (docs/framed-protocol.md): one reply per complete request frame
// of the input, or an ERROR / BYE_REPLY after which the server owes nothing more.
// Any: always (conversation_exchange.h decides, message by message).
bool replyComplete(const FuzzProtocol& protocol, net::Bytes input, const ExchangeResult& result);

// "echoed 2 of 2 bytes, closed in order"; "framed: WELCOME, ERROR HANDSHAKE_REQUIRED; reset (ECONNRESET)";
// any: "2 messages, 14 bytes sent; replies: 7 bytes "+OK wel...", none; still open".
std::string describeExchange(const FuzzProtocol& protocol, net::Bytes input, const ExchangeResult& result);

// The inputs the fuzzer's corpus starts with: a line for echo; HELLO, ECHO, STATS, BYE for framed; none for
// any (the user's --seeds and --seeds-from give them).
std::vector<std::vector<std::uint8_t>> seedInputs(const FuzzProtocol& protocol);

}  // namespace sockspec::blackbox
