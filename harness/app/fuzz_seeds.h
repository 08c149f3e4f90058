// The seeds and the dictionary of `sockspec fuzz` (docs/fuzzing-black-box.md), gathered by the parent before
// any fuzzing starts, so that every problem with them is bad input (exit 2) naming the option and the path:
//   --seeds DIR        each regular file in DIR is one input, as it is (for --service any, messages separated
//                      by blackbox::kMessageSeparator)
//   --seeds-from FILE  a pcap or pcapng capture: each flow's client-to-server payloads, one message per
//                      packet, become one conversation, for the flows to one server port (below)
//   --dict FILE        libFuzzer's dictionary format, merged with what is learned from the seeds
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/expected.h"
#include "blackbox/fuzz_worker_state.h"

namespace sockspec::app {

struct FuzzSeedOptions {
  std::vector<std::string> folders;   // --seeds
  std::vector<std::string> captures;  // --seeds-from
  std::string dictionary;             // --dict
  bool datagram = false;              // the target's transport: a capture's UDP flows, else its TCP ones
  std::optional<std::uint16_t> port;  // the target's port when fixed: a capture's flows to it are taken
  bool conversations = false;         // --service any: the message separator goes into the dictionary

  // datagram, port and conversations as the target's URL (checked already; "{port}" allowed) and protocol say.
  void setTarget(const std::string& url, const blackbox::FuzzProtocol& protocol);
};

struct FuzzSeeds {
  std::vector<std::vector<std::uint8_t>> inputs;  // the folders' first, then the captures'
  std::size_t fromFolders = 0;                     // how many of them came from the folders
  std::vector<std::string> notes;  // for people: "--seeds-from a.pcap: 12 TCP flows to port 6379: 12 seeds"
  std::string dictionary;          // libFuzzer's format: the user's entries, then the learned ones; "" none
};

Expected<FuzzSeeds, std::string> gatherFuzzSeeds(const FuzzSeedOptions& options);

// Writes the inputs into the worker's corpus folder (made here) and the dictionary beside it; sets
// worker.dictionary when there is one.
Expected<void, std::string> writeFuzzSeeds(const FuzzSeeds& seeds, blackbox::FuzzWorkerOptions& worker);

}  // namespace sockspec::app
