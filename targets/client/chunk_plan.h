// ChunkPlan: how --chunk splits what the client sends. "1,2,4" gives chunks of 1, 2, 4, 4, 4, ... bytes:
// the last size repeats. On a stream each chunk is offered to send(2) on its own (with --delay between
// chunks); on a datagram or seqpacket socket each chunk is one datagram or record.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace sockspec::client {

class ChunkPlan {
 public:
  // No plan: one chunk holding everything, offered to the socket in as few sends as it takes.
  ChunkPlan() = default;

  // Parses a comma-separated list of sizes of at least 1 byte. The error names the item:
  // "size 2 of '1,x': 'x' is not a number of bytes (expected 1 or more)".
  static Expected<ChunkPlan, std::string> parse(std::string_view text);

  // The size of chunk `index` (0-based); with no plan, SIZE_MAX (the chunk is cut at the end of the data).
  std::size_t sizeOf(std::size_t index) const;
  bool isSet() const { return !m_sizes.empty(); }

 private:
  explicit ChunkPlan(std::vector<std::size_t> sizes) : m_sizes(std::move(sizes)) {}
  std::vector<std::size_t> m_sizes;
};

// Splits `total` bytes by `plan` into chunk lengths. No plan, or zero bytes, gives one chunk of `total`.
std::vector<std::size_t> splitByPlan(const ChunkPlan& plan, std::size_t total);

}  // namespace sockspec::client
