// Feedback for the fuzzing engine where the server gives no coverage: features of what the server did with
// an input, each set as one counter in a small array that libFuzzer reads as coverage (its "extra counters").
// An input that makes the server do something not seen before (a new reply length class, new first reply
// bytes, a new way to end the connection, a new sequence of framed replies) is kept and mutated further.
#pragma once

#include <cstdint>
#include <span>

#include "blackbox/fuzz_protocol.h"
#include "blackbox/input_exchange.h"
#include "blackbox/service_model.h"

namespace sockspec::blackbox {

inline constexpr std::size_t kFeedbackCounters = 4096;

// Adds the features of one exchange to `counters` (all zero on entry; libFuzzer clears them per input).
// Features: how the connection ended; log2 of the reply length; a 6-bit hash of the first 4 reply bytes;
// echo: whether the reply equalled the input, was a prefix, or differed; framed: each reply frame's type and
// error code, and the sequence of the first 8 of them; any (instead of the whole reply's first bytes): for
// each of the first 4 messages, how its reply ended and a class of its first bytes (one class for all replies
// that begin with the message's own first bytes), and the sequence of those; the slowest first byte's latency
// class (log2 of its delay in ms: coarse, so that loopback's jitter is not taken for new behaviour).
void recordReplyFeatures(const FuzzProtocol& protocol, net::Bytes input, const ExchangeResult& result,
                         std::span<std::uint8_t> counters);

}  // namespace sockspec::blackbox
