// What sockspec fuzz and replay know about the services they test: which reply is complete for an input
// (so that a connection the server keeps open afterwards is not a hang), a one-line account of what the
// server did, and the seed inputs the fuzzer starts from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "blackbox/input_exchange.h"
#include "proto/service.h"

namespace sockspec::blackbox {

// The services black-box fuzzing can judge replies of: echo and framed. nullopt for any other name, a
// service sockspec knows (discard, chargen, daytime) included.
std::optional<proto::Service> fuzzServiceFromName(std::string_view name);

// Echo: every byte sent came back. Framed (docs/framed-protocol.md): one reply per complete request frame
// of the input, or an ERROR / BYE_REPLY after which the server owes nothing more.
bool replyComplete(proto::Service service, net::Bytes input, const ExchangeResult& result);

// "echoed 2 of 2 bytes, closed in order"; "framed: WELCOME, ERROR HANDSHAKE_REQUIRED; reset (ECONNRESET)".
std::string describeExchange(proto::Service service, net::Bytes input, const ExchangeResult& result);

// The inputs the fuzzer's corpus starts with: a line for echo; HELLO, ECHO, STATS, BYE for framed.
std::vector<std::vector<std::uint8_t>> seedInputs(proto::Service service);

}  // namespace sockspec::blackbox
