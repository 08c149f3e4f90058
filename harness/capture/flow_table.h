// TCP and UDP flows of one capture, in the manner of Zeek's conn.log: endpoints, per-direction packet and
// byte counts, a history string and a connection state, plus anomaly counts. Memory grows with the number of
// flows, never with the number of packets: each flow keeps counters and a bounded list of sequence holes.
// docs/inspect.md documents the letters, the states and the approximations.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "capture/packet_dissector.h"

namespace sockspec::capture {

// Direction 0 is from the originator (a) to the responder (b), 1 the reverse.
struct FlowAnomalies {
  std::uint64_t retransmissions = 0;
  std::uint64_t outOfOrder = 0;
  std::uint64_t zeroWindow = 0;
  std::uint64_t resets = 0;
};

// Per-direction TCP sequence tracking, bounded: the highest sequence number seen (exclusive end) and up to
// kMaxHoles ranges below it not yet seen.
struct SequenceTracker {
  static constexpr std::size_t kMaxHoles = 8;
  bool started = false;
  std::uint32_t highest = 0;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> holes;  // [begin, end), in sequence space
};

enum class SegmentKind { New, Retransmission, OutOfOrder };

// Classifies the segment [seq, seq+length) against what the tracker has seen, and records it.
SegmentKind trackSegment(SequenceTracker& tracker, std::uint32_t seq, std::uint32_t length);

struct Flow {
  std::size_t number = 0;  // 1-based, in order of first packet
  IpProtocol transport = IpProtocol::Tcp;
  PacketEndpoint a;  // originator
  PacketEndpoint b;  // responder
  std::array<std::uint64_t, 2> packets{};
  std::array<std::uint64_t, 2> frameBytes{};
  std::array<std::uint64_t, 2> payloadBytes{};
  std::int64_t firstNs = 0;
  std::int64_t lastNs = 0;
  std::string history;
  FlowAnomalies anomalies;

  // What the state is derived from.
  std::array<bool, 2> sawSyn{};     // SYN without ACK
  std::array<bool, 2> sawSynAck{};  // SYN with ACK
  std::array<bool, 2> sawFin{};
  std::array<bool, 2> sawRst{};
  int firstRstDirection = -1;
  std::array<std::uint32_t, 2> letters{};  // history letters already recorded, per direction (bit per letter)
  std::array<SequenceTracker, 2> sequence;

  std::int64_t durationNs() const { return lastNs - firstNs; }
  // Zeek's conn_state: S0 S1 SF REJ S2 S3 RSTO RSTR RSTOS0 RSTRH SH SHR OTH.
  std::string state() const;
};

class FlowTable {
 public:
  // Adds one packet; returns the flow it belongs to and its direction (0: a->b) through the out-parameters.
  Flow& add(const DissectedPacket& packet, std::int64_t timestampNs, std::uint32_t frameBytes,
            int& direction);

  const std::vector<Flow>& flows() const { return m_flows; }

 private:
  struct Key {
    IpProtocol transport;
    PacketEndpoint low;
    PacketEndpoint high;
    auto operator<=>(const Key&) const = default;
  };
  std::map<Key, std::size_t> m_index;
  std::vector<Flow> m_flows;
};

}  // namespace sockspec::capture
