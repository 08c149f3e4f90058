// The wire steps' verdicts, pure over the captured TCP packets and one connection's endpoints, so that they
// can be tested on packets built by hand. Each assertion is defined in docs/scenario-language.md ("Wire
// steps"); a failure names the packets it looked at by their frame numbers in the pcap.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "capture/live_capture.h"
#include "capture/packet_dissector.h"
#include "scenario/symbols.h"

namespace sockspec::runner {

// One side of a TCP connection as the scenario's socket sees it: its own address and its peer's.
struct ConnectionEnds {
  capture::PacketEndpoint local;
  capture::PacketEndpoint peer;
};

// Empty when `assertion` holds for the connection between
// `ends.local` and `ends.peer` in `packets`; else what was expected and what the packets show, with their
// numbers: "expected an RST from 127.0.0.1:40001 to 127.0.0.1:35000; none in packets #1-#9 of this
// connection (from it: SYN-ACK #2, FIN #7)". `count` is the expected number for syn-retransmits.
std::string wireAssertionMismatch(scenario::WireAssertion assertion, std::int64_t count,
                                  const ConnectionEnds& ends,
                                  std::span<const capture::NumberedPacket> packets);

}  // namespace sockspec::runner
