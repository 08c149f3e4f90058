// Grey-box fuzzing's side of the coverage region (base/coverage_map_layout.h, docs/grey-box.md): sockspec
// makes the region, names it to the server it starts (SOCKSPEC_COVERAGE_MAP in the environment the server
// inherits), and after each input moves the edges the server's coverage runtime (targets/coverage/) counted
// into libFuzzer's extra counters and reads the operands of the comparisons that failed. A server without
// the runtime leaves the region empty: `attached()` says so, and fuzzing stays black-box.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/coverage_map_layout.h"
#include "base/expected.h"

namespace sockspec::blackbox {

// One failed comparison of the server's: two integers of `size` bytes, or the first bytes of two buffers.
struct ServerComparison {
  bool bytes = false;
  std::uint32_t size = 0;
  std::uint32_t site = 0;  // where in the server (the low bits of its address)
  std::uint64_t arg1 = 0;
  std::uint64_t arg2 = 0;
  std::vector<std::uint8_t> bytes1;
  std::vector<std::uint8_t> bytes2;
};

class ServerCoverage {
 public:
  static constexpr std::size_t kEdgeSlots = SOCKSPEC_COVERAGE_EDGE_SLOTS;
  // At most this many comparisons are read per input: the ring holds the latest of them.
  static constexpr std::size_t kComparisonsPerInput = 256;

  // The region as a memfd sealed against shrinking and growing, mapped here, its header filled in. The
  // error names the call and errno.
  static Expected<ServerCoverage, std::string> create();
  ServerCoverage(ServerCoverage&& other) noexcept;
  ServerCoverage& operator=(ServerCoverage&& other) noexcept;
  ServerCoverage(const ServerCoverage&) = delete;
  ServerCoverage& operator=(const ServerCoverage&) = delete;
  ~ServerCoverage();

  // What SOCKSPEC_COVERAGE_MAP is set to: /proc/<this process>/fd/<the memfd>.
  std::string path() const;
  // The edges the server's runtime registered (0: no runtime, or not started yet).
  std::uint32_t edgesInBinary() const;
  bool attached() const { return edgesInBinary() != 0; }
  // Forgets what the server did so far (its start-up, before the first input).
  void clear();
  // Adds the edge counters since the last take or clear into `counters` and clears them (the first
  // kEdgeSlots, rounded down to 64: callers pass kEdgeSlots).
  void takeEdges(std::span<std::uint8_t> counters);

  // A server built with inline-8bit-counters keeps them in its own memory: clear() and takeEdges() first
  // ask its runtime's flusher thread to add them into the region (a futex round trip), waiting at most
  // kFlushWait. After kFlushMisses unanswered requests in a row from one server process (a server that
  // forked away from the thread, or is stopped) its counters are not asked for again, and flushesMissed()
  // says so, until another process maps the region (a restart).
  static constexpr std::chrono::milliseconds kFlushWait{500};
  static constexpr unsigned kFlushMisses = 3;
  bool inlineCounters() const;
  // Whether the server's flusher answered; false also when it is not asked any more (see above).
  bool flushInlineCounters();
  bool flushesMissed() const { return m_missed >= kFlushMisses && m_missedPid == attachedPid(); }
  // The comparisons written since the last take or clear, the latest kComparisonsPerInput of them.
  std::vector<ServerComparison> takeComparisons();
  // Slots hit at least once since create().
  std::size_t edgesSeen() const { return m_seenCount; }

 private:
  ServerCoverage(int fd, void* mapped) : m_fd(fd), m_mapped(mapped) {}
  sockspec_coverage_header* header() const { return static_cast<sockspec_coverage_header*>(m_mapped); }
  std::uint32_t attachedPid() const;
  std::uint8_t* edges() const;
  const sockspec_cmp_entry* comparisons() const;

  int m_fd = -1;
  void* m_mapped = nullptr;
  std::uint32_t m_cmpRead = 0;  // header.cmp_next when last read
  std::vector<bool> m_seen = std::vector<bool>(kEdgeSlots);
  std::size_t m_seenCount = 0;
  std::uint32_t m_missedPid = 0;  // the process whose flusher missed m_missed requests in a row
  unsigned m_missed = 0;
};

}  // namespace sockspec::blackbox
