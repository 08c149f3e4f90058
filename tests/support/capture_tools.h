// The outside programs the capture tests compare inspect with: tcpdump and dumpcap capturing on an interface
// while a test makes traffic, and tshark counting packets and bytes per direction of each TCP and UDP flow.
// Every program is a ChildProcess (stopped and reaped whatever happens) and every wait has a deadline.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "process/child_process.h"

namespace sockspec::testing {

// Whether `program` is found on PATH (as execvp would find it).
bool programOnPath(const std::string& program);

bool runningAsRoot();

// A capture program writing a file. Started only once it has said it is capturing (tcpdump "listening on",
// dumpcap "Capturing on"), so no packet sent afterwards is missed; stopped with SIGINT, which makes both
// flush the file and print their packet statistics.
class CaptureProgram {
 public:
  // Spawns argv with stderr merged into stdout, and waits up to 10 s for a line containing `readyText`;
  // FAILs the test with what the program printed otherwise.
  static CaptureProgram start(const std::vector<std::string>& argv, const std::string& readyText);

  // SIGINT, then up to 10 s to exit; REQUIREs exit 0 and returns everything the program printed.
  std::string stop();

 private:
  explicit CaptureProgram(process::ChildProcess child, std::string printed)
      : m_child(std::move(child)), m_printed(std::move(printed)) {}
  process::ChildProcess m_child;
  std::string m_printed;
};

// tcpdump -i INTERFACE -w PATH -Z root (no privilege drop, so it can write anywhere root can), in immediate
// mode with a 64 MiB buffer, plus `extra`.
CaptureProgram startTcpdump(const std::string& interface, const std::string& path,
                            const std::vector<std::string>& extra = {});
// dumpcap -i INTERFACE -w PATH -B 64: pcapng, as Wireshark writes it, with a 64 MiB buffer.
CaptureProgram startDumpcap(const std::string& interface, const std::string& path);

// The packet count a stopped capture program printed: tcpdump's "N packets captured", dumpcap's
// "Packets captured: N"; -1 when neither is there.
long long capturedPacketCount(const std::string& printed);

struct DirectionCounts {
  std::uint64_t packets = 0;
  std::uint64_t frameBytes = 0;  // captured lengths
  bool operator==(const DirectionCounts&) const = default;
};

// Counts keyed by one direction of a flow, "tcp 127.0.0.1:40000 -> [::1]:7" (inspect's endpoint format).
using DirectedCounts = std::map<std::string, DirectionCounts>;

// tshark's view of a capture: every TCP or UDP packet (not ICMP errors quoting one) counted under its
// direction with its captured length (frame.cap_len). REQUIREs tshark to read the whole file (exit 0).
DirectedCounts tsharkDirectedCounts(const std::string& path);

// The directions where the two differ, one line each ("tcp A -> B: inspect 5 packets 300 bytes, tshark ..."),
// then the directions only one of them has; empty when they agree.
std::string describeDifferences(const DirectedCounts& inspect, const DirectedCounts& tshark);

// The same from `sockspec inspect --json PATH`: packets and frame_bytes of each flow, split by direction.
// REQUIREs inspect to exit 0.
DirectedCounts inspectDirectedCounts(const std::string& path);

// A classic pcap file with every header field byte-swapped: the same capture as a host of the other byte
// order writes it (file header, then each record header; frames are untouched). FAILs on a malformed file.
std::string swapPcapByteOrder(const std::string& pcap);

// Ends the test as skipped: prints why on stderr and exits with kSkippedExitCode, which the capture suites'
// CTest properties report as "Skipped" (SKIP_RETURN_CODE), never as passed.
inline constexpr int kSkippedExitCode = 77;
[[noreturn]] void skipTest(const std::string& why);

}  // namespace sockspec::testing
