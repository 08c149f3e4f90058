// The fuzz loop of `sockspec fuzz` as a libFuzzer program of its own, for one user's server: what
// ClusterFuzzLite and OSS-Fuzz run (docs/fuzzing-black-box.md, "ClusterFuzzLite"), and what libFuzzer's own
// -fork and -jobs can run, since each such process starts a server of its own on a free port.
// libFuzzer's main() calls LLVMFuzzerInitialize, which starts the server (startServerFuzzTarget), then
// LLVMFuzzerTestOneInput for every input (serverFuzzTargetInput): the same exchange, verdicts and reply
// features as `sockspec fuzz` (input_step.h). A finding is printed on stderr (`==sockspec== ERROR: crash:
// ...`, the server's sanitizer report after it), the server is stopped and the process aborts, so that
// libFuzzer saves the input as its crash-<sha1> and ClusterFuzz sees a crash; running the program on that
// file alone gives the same verdict.
// Unlike `sockspec fuzz` there is no shrinking (libFuzzer's -minimize_crash does it), no leak watch (its
// finding is a repeat of an earlier input, which libFuzzer cannot save), and no restart: a finding ends the
// process. After each input the server must still accept a connection (stream targets), so that a server
// that stops accepting is blamed on the input that did it, not on the next one.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "base/expected.h"
#include "base/temp_directory.h"
#include "blackbox/fuzz_protocol.h"
#include "process/target_session.h"

namespace sockspec::blackbox {

struct ServerFuzzTargetOptions {
  process::TargetSpec target;
  FuzzProtocol protocol;
  std::chrono::milliseconds hangTimeout{1000};
  bool noCoverage = false;  // black-box even when the server has the coverage runtime (docs/grey-box.md)
};

// Starts the server and warms the reply waits up (reply_timing.h): the probe, or an empty conversation when
// there is none, is sent ReplyTiming::kLearnAfter times, so that a single input (a reproduction) is judged
// as it was in the middle of a run. Fails, saying why, when the server cannot be started or reached or fails
// during the warm-up.
// `work` holds the server's files (its output, --events logs) and whatever the caller put there; it is
// removed when the server stops, at the end or before a finding aborts.
Expected<void, std::string> startServerFuzzTarget(ServerFuzzTargetOptions options, TempDirectory work);

// Whether the started server's coverage runtime attached (grey-box: its edges and comparisons are fed).
bool serverFuzzTargetGreyBox();

// One input: 0 when the server took it well (its features are in the extra counters), -1 when it is not to
// be kept; a finding does not return (above).
int serverFuzzTargetInput(const std::uint8_t* data, std::size_t size);

// The program's LLVMFuzzerCustomMutator: `sockspec fuzz`'s mutations, libFuzzer's (`libFuzzerMutate`, its
// LLVMFuzzerMutate) and random blocks (random_block_mutation.h).
std::size_t serverFuzzTargetMutate(std::uint8_t* data, std::size_t size, std::size_t maxSize,
                                   unsigned int seed,
                                   std::size_t (*libFuzzerMutate)(std::uint8_t*, std::size_t, std::size_t));

}  // namespace sockspec::blackbox
