// An input of `--service any` is a conversation: the messages a client sends, in order, separated by
// kMessageSeparator. Two ASCII record separators (0x1E 0x1E): rare in text and binary protocols alike, short
// enough for libFuzzer's mutations to make and unmake (it is also in every dictionary the fuzzer uses), and
// easy to find in a hex dump of a reproducer. An input without it is one message.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "net/socket_ops.h"

namespace sockspec::blackbox {

inline constexpr std::string_view kMessageSeparator = "\x1e\x1e";

// At most this many messages: what follows the last separator counted is part of the last message. Bounds
// the time of one input (each message may wait for its reply).
inline constexpr std::size_t kMaxMessages = 16;

// The messages of `input`, as views into it. Empty messages (two separators in a row, or one at either end)
// are kept: an empty datagram, or a wait for a reply without sending, is a thing to try too.
std::vector<net::Bytes> splitConversation(net::Bytes input);

// The input whose messages are `messages` (seeds from a capture, a learned probe).
std::vector<std::uint8_t> joinConversation(const std::vector<std::vector<std::uint8_t>>& messages);

}  // namespace sockspec::blackbox
