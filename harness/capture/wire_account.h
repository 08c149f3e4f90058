// WireAccount: what the connections of one capture did, in a line for a failed check's message (issue: "a
// failing check says what the server did, on the wire where it was captured"). Fed frame by frame with
// the frame numbers Wireshark shows, it keeps the flow table's counters (flow_table.h) and, per flow, the
// numbers of its landmarks: SYN, SYN-ACK, the first FIN and RST of each side, the data just before an RST.
// Memory grows with the flows, never with the packets. docs/service-suites.md ("On the wire") shows it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.h"
#include "capture/flow_table.h"
#include "capture/packet_dissector.h"

namespace sockspec::capture {

class WireAccount {
 public:
  // `server`: the endpoint under test; the other end of each flow is called the client.
  explicit WireAccount(PacketEndpoint server) : m_server(server) {}

  // One TCP or UDP packet; `number` is its 1-based frame number in the capture file.
  void add(std::uint64_t number, const DissectedPacket& packet, std::int64_t timestampNs,
           std::uint32_t frameBytes);

  // At most `limit` connections that did not end with a FIN each way (UDP: clients never answered), in
  // capture order, one clause each ("client 127.0.0.1:40312: SYN #1, SYN-ACK #2, client FIN #38, server RST
  // #41 right after its data #40; client sent 262144 bytes, server 65483 (likely: ...)"), or else the last
  // one; then the rest counted ("and 127 more connections (2 reset or unfinished, 125 closed with a FIN each
  // way)"); "no packets to or from 127.0.0.1:7" for an empty capture.
  std::string describe(std::size_t limit = 3) const;

 private:
  // What the flow table does not keep: frame numbers. Side 0 is the client, 1 the server.
  struct Marks {
    std::uint64_t first = 0;
    std::uint64_t syn = 0;  // the client's first SYN
    std::uint64_t synCount = 0;
    std::uint64_t synAck = 0;
    std::uint64_t refusal = 0;  // a server RST before any SYN-ACK
    std::uint64_t fin[2]{};
    std::uint64_t rst[2]{};
    // The side's data frame just before its RST, when that was its last packet before it.
    std::uint64_t dataBeforeRst[2]{};
    std::uint64_t previous[2]{};  // the side's last frame so far
    bool previousWasData[2]{};
    bool ackedData[2]{};  // the side acknowledged some of the other side's data (or its FIN)
    bool hasIsn[2]{};
    std::uint32_t isn[2]{};
    std::uint64_t firstOfSide[2]{};  // datagrams: the side's first and last frames
  };

  // Orderly: a FIN each way, no RST (UDP: answered). Leftover: the end of a connection made before the
  // capture (no handshake, no data), counted but not told.
  enum class Kind { Orderly, Unusual, Leftover };
  Kind classify(const Flow& flow, const Marks& marks) const;
  std::string describeFlow(const Flow& flow, const Marks& marks) const;
  std::string describeTcp(const Flow& flow, const Marks& marks) const;
  std::string describeUdp(const Flow& flow, const Marks& marks) const;
  std::string likelyCause(const Flow& flow, const Marks& marks) const;
  int flowDirection(const Flow& flow, int side) const;
  std::uint64_t bytesSent(const Flow& flow, const Marks& marks, int side) const;

  PacketEndpoint m_server;
  FlowTable m_flows;
  std::vector<Marks> m_marks;  // by flow number - 1
};

// Reads the capture at `path` and gives WireAccount::describe() of its TCP and UDP packets; the error is
// the reader's ("PATH: record at offset N: what").
Expected<std::string, std::string> describeCaptureFile(const std::string& path, const PacketEndpoint& server,
                                                       std::size_t limit = 3);

}  // namespace sockspec::capture
