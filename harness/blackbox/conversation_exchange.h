// One input of `--service any` (fuzz_protocol.h): its messages (conversation.h) sent in order to a fresh
// connection, or as datagrams from a fresh socket, each once the reply to the one before is complete (the
// server closed; --reply-end or --reply matched; the quiet gap passed after a reply byte; or no byte came
// within the first-byte wait, reply_timing.h). After the last message a stream is shut down for writing, and
// when `waits.awaitClose` the server's close is waited for up to the hang timeout of silence. Every wait is
// bounded: the exchange as a whole never outlasts connectTimeout + 10 x hangTimeout, and an interrupt
// (limits.stopRequested) ends it within kStopCheck.
#pragma once

#include "blackbox/fuzz_protocol.h"
#include "blackbox/input_exchange.h"
#include "blackbox/reply_timing.h"

namespace sockspec::blackbox {

// The exchange `protocol` calls for: a conversation for any, exchangeInput (input_exchange.h) for echo and
// framed.
ExchangeResult exchangeFor(const net::Endpoint& endpoint, const FuzzProtocol& protocol, net::Bytes input,
                           const ReplyWaits& waits, const ExchangeLimits& limits);

ExchangeResult exchangeConversation(const net::Endpoint& endpoint, const FuzzProtocol& protocol, net::Bytes input,
                                    const ReplyWaits& waits, const ExchangeLimits& limits);

}  // namespace sockspec::blackbox
