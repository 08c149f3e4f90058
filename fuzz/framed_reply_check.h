// The shape every framed reply stream must have, checked with the codec alone (independently of the
// server's session code): well-formed server-to-client frames, WELCOME or ERROR first, nothing after
// BYE_REPLY or ERROR, and, once the server has said everything, no partial frame at the end.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace sockspec::fuzz {

// An empty string when `replies` has that shape, else what is wrong and at which frame and offset.
// `complete`: the server has finished (or owes nothing more), so a trailing partial frame is a fault.
std::string framedReplyProblem(std::span<const std::uint8_t> replies, std::uint32_t maxPayload, bool complete);

}  // namespace sockspec::fuzz
