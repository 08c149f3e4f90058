// The messages of each TCP and UDP flow of a capture, split where the packets split them: the seeds of
// `sockspec fuzz --seeds-from capture.pcap`, one list per direction. TCP keeps only new data, in sequence
// order (retransmissions dropped, overlaps trimmed, out-of-order segments put in place); UDP keeps every
// datagram. Memory is bounded by the limits, never by the size of the capture: maxTotalBytes of payload plus
// bookkeeping for at most maxFlows flows of 2 x maxMessagesPerFlow messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.h"
#include "capture/packet_dissector.h"

namespace sockspec::capture {

struct FlowMessages {
  std::size_t flow = 0;  // the flow's 1-based number, as `sockspec inspect` numbers flows
  IpProtocol transport = IpProtocol::Tcp;
  // TCP: the SYN's sender (or the SYN-ACK's receiver); when the capture holds neither (it started
  // mid-flow), the side with the higher port, which is the usual ephemeral side; equal ports: the first
  // sender. UDP: the first sender.
  PacketEndpoint client;
  PacketEndpoint server;
  std::vector<std::vector<std::uint8_t>> requests;  // client -> server, one per packet
  std::vector<std::vector<std::uint8_t>> replies;   // server -> client, one per packet
};

struct FlowMessagesLimits {
  std::size_t maxFlows = 10000;          // flows first seen after this many are dropped, their packets too
  std::size_t maxMessagesPerFlow = 256;  // for each direction: later messages are dropped
  std::size_t maxMessageBytes = 65536;   // a longer message keeps its first maxMessageBytes bytes
  // Over all kept messages; one that does not fit is dropped.
  std::size_t maxTotalBytes = std::size_t{64} << 20;
};

struct FlowMessagesResult {
  std::vector<FlowMessages> flows;  // by flow number; flows without client payload are left out
  // Packets whose new payload a limit left out (maxFlows, maxMessagesPerFlow, maxTotalBytes). After a
  // limit is reached a retransmission of a dropped packet is counted again: what was dropped is forgotten.
  std::size_t droppedMessages = 0;
  std::size_t truncatedMessages = 0;  // messages cut to maxMessageBytes
};

// Reads the pcap or pcapng file at `path`. Non-IP packets, other transports and frames the dissector cannot
// follow are skipped; a segment's payload cut short by the snaplen keeps what was captured. Fails with the
// reader's "PATH: record at offset N: what" for an unreadable or malformed file, or "PATH: link type ..."
// for one whose link type the dissector does not know.
Expected<FlowMessagesResult, std::string> readFlowMessages(const std::string& path,
                                                           const FlowMessagesLimits& limits = {});

}  // namespace sockspec::capture
