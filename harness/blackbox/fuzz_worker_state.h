// What the two processes of `sockspec fuzz` tell each other, as types with one serialisation each. libFuzzer
// installs signal handlers and calls exit() when done, so the fuzzing runs in a worker process of its own:
// the parent writes the worker's options into the work folder and starts it (`sockspec fuzz-worker DIR`);
// the worker rewrites its state there after every finding and every few seconds, and the parent reads the
// last one when the worker is gone.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.h"
#include "blackbox/fuzz_protocol.h"
#include "process/target_session.h"

namespace sockspec::blackbox {

struct FuzzWorkerOptions {
  FuzzProtocol protocol;
  process::TargetSpec target;
  std::string replayOptions;  // for the sidecars: how to reach the target again
  std::string artifactsDir;   // reproducers go here
  std::string workDir;        // private: the options, the state, the seed corpus (the parent puts the user's
                              // seeds in corpusDir()), the dictionary and the engine's log
  int maxTimeSeconds = 60;
  std::chrono::milliseconds hangTimeout{1000};
  std::uint32_t seed = 0;  // 0: libFuzzer picks one
  std::size_t maxLength = 4096;
  std::size_t maxFindings = 0;  // stop once this many distinct reproducers are saved; 0: until the time is up
  std::chrono::milliseconds progressEvery{2000};
  bool noShrink = false;  // save findings as found, without shrinking them first
  bool noCoverage = false;  // black-box even when the server has the coverage runtime (docs/grey-box.md)
  std::string dictionary;  // libFuzzer's -dict: the user's and the learned entries in one file ("" none)
  // --jobs: this worker's number (from 1) and how many there are. With more than one, each has its own
  // target and work folder, and they share one corpus folder (libFuzzer writes what it finds there and
  // reads what the others wrote every second, its -reload).
  std::size_t worker = 1;
  std::size_t workers = 1;
  std::string sharedCorpus;  // "" : corpusDir() is the work folder's own
  // --corpus: the folder libFuzzer writes the inputs it keeps into (its first corpus folder, before
  // corpusDir(), which then holds only the seeds); with --jobs the workers share them through it. "": none.
  std::string keptCorpus;

  std::string optionsFile() const { return workDir + "/options.json"; }
  std::string stateFile() const { return workDir + "/state.json"; }
  std::string engineLog() const { return workDir + "/engine.log"; }
  std::string corpusDir() const { return sharedCorpus.empty() ? workDir + "/corpus" : sharedCorpus; }
};

// One finding: every input that failed the server the same way (the same signature, fault_verdict.h). The
// first is shrunk and written; the others are only counted.
struct FuzzFindingRecord {
  std::string path;       // the reproducer
  std::string kind;       // "crash", "hang"
  std::string detail;     // what the server did, the first time
  std::string signature;  // what makes two findings the same
  std::size_t inputBytes = 0;
  double seconds = 0;     // into the run when it was first found
  bool kept = false;      // a reproducer as short was already there
  std::uint64_t hits = 1;  // inputs that failed this way
  std::string saveError;  // the reproducer could not be written: why ("" when it was)
};

struct FuzzState {
  std::uint64_t execs = 0;
  double seconds = 0;
  std::uint64_t restarts = 0;
  // `--service any`: the messages sent, and how many replies ended once the server was at rest
  // (reply_timing.h) rather than after a quiet gap, a match or a close.
  std::uint64_t messages = 0;
  std::uint64_t restEnds = 0;
  // Grey-box (docs/grey-box.md): the edges the server's coverage runtime registered, and the edge slots
  // the inputs hit (0 and 0: black-box).
  std::uint64_t edgesInBinary = 0;
  std::uint64_t edgesSeen = 0;
  std::vector<FuzzFindingRecord> findings;  // one per signature, in the order found
  std::string stopped;  // why fuzzing ended before the time was up ("" when it did not)

  // The finding with `signature`, if one was found before; nullptr otherwise.
  FuzzFindingRecord* findingWith(const std::string& signature);
  std::uint64_t inputsThatFailed() const;  // the hits of all findings
  bool anyUnsaved() const;                 // a finding whose reproducer could not be written
};

// Written whole (a temporary file renamed over it), so the reader never sees half of one.
Expected<void, std::string> writeWorkerOptions(const FuzzWorkerOptions& options);
Expected<FuzzWorkerOptions, std::string> readWorkerOptions(const std::string& workDir);
Expected<void, std::string> writeFuzzState(const FuzzState& state, const std::string& path);
// Fails naming the file and what is wrong with it (missing, not JSON, a field of the wrong type).
Expected<FuzzState, std::string> readFuzzState(const std::string& path);
// The states of several workers (--jobs) as one run's: counts added up, the longest time, the most edges
// any worker's server registered and saw, and one finding
// per signature (the first found, its hits added up); why each stopped early, once per reason.
FuzzState mergeFuzzStates(const std::vector<FuzzState>& states);

}  // namespace sockspec::blackbox
