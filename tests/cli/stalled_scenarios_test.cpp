// Scenarios that order TCP handshakes must not depend on timing (issue #13): each of them is run again with a
// 300 ms stall inserted after every one of its steps in turn, longer than any timer they could race (the
// delayed-ACK timer, TCP_DELACK_MAX, and the minimum retransmission timeout, TCP_RTO_MIN, are both 200 ms), and
// every variant must still pass. With TCP_QUICKACK 0 (the old set-up) a stall after `connect c2` made c3's
// connect time out: c2's delayed ACK had gone out and taken the last place in the queue.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "support/built_programs.h"
#include "support/program_run.h"
#include "support/test_files.h"

using namespace sockspec::testing;
using namespace std::chrono_literals;

namespace {

// `wait c1 readable` never succeeds (the server never writes to c1), so with `-> blocks` it is a pure pause.
constexpr const char* kStall = "wait c1 readable within 300ms -> blocks";

// One variant per step from `connect c1` on (wire steps are assertions on the capture, not calls): the
// scenario with the stall after that step, under its own id.
std::vector<std::string> stalledVariants(const std::string& text) {
  std::vector<std::string> lines = splitLines(text);
  std::vector<std::string> variants;
  bool started = false;
  for (std::size_t at = 0; at < lines.size(); ++at) {
    const std::string& line = lines[at];
    started = started || line.rfind("connect c1 ", 0) == 0;
    bool step = started && !line.empty() && line[0] != '#' && line.rfind("wire ", 0) != 0;
    if (!step) continue;
    std::string variant;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      static const std::regex header("^scenario (\\S+)$");
      variant += std::regex_replace(lines[i], header, "scenario $1.stall-" + std::to_string(variants.size())) + "\n";
      if (i == at) variant += std::string(kStall) + "\n";
    }
    variants.push_back(variant);
  }
  return variants;
}

}  // namespace

TEST_CASE("handshake-ordering backlog scenarios pass with a 300 ms stall after any step", "[cli][timing]") {
  std::string folder = tempFilePath("stalled");
  std::filesystem::create_directories(folder);
  std::size_t written = 0;
  for (const char* name : {"connected-not-queued", "abort-on-overflow-resets"}) {
    auto variants = stalledVariants(readFileOrFail(sourceDir() + "/scenarios/default/backlog/" + name + ".scn"));
    CHECK(variants.size() >= 10);  // the whole scenario, not a part of it
    for (std::size_t i = 0; i < variants.size(); ++i) {
      writeFileOrFail(folder + "/" + name + "-" + std::to_string(i) + ".scn", variants[i]);
      ++written;
    }
  }
  auto run = runProgram({sockspecBinary(), "run", "--color", "never", "-j", "8", folder}, {}, 120s);
  INFO(run.describe());
  CHECK(run.exitedWith(0));
  // Each variant runs over tcp4 and tcp6.
  CHECK_THAT(run.out, Catch::Contains(std::to_string(2 * written) + " passed, 0 failed, 0 skipped"));
  std::filesystem::remove_all(folder);
}
