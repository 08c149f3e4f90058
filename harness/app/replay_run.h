// `sockspec replay`: sends fuzzing reproducers to a server again and judges each (crash, hang, no fault, not
// run), or, with --write-scenarios, turns them into regression scenarios. Planning loads every reproducer
// and its sidecar before anything is sent; the command file prints the verdicts and maps them to exit codes.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "app/blackbox_target_options.h"
#include "base/expected.h"
#include "blackbox/reproducer_files.h"
#include "blackbox/fuzz_protocol.h"

namespace sockspec::app {

// What the command line said, word for word.
struct ReplayOptions {
  std::vector<std::string> paths;
  BlackboxTargetOptions target;
  std::string service;
  std::string replyEnd;  // --reply-end, --reply, --probe: as fuzz takes them (blackbox/fuzz_protocol.h)
  std::string reply;
  std::string probe;
  bool json = false;
  std::string scenarioDirectory;  // --write-scenarios DIR: convert, send nothing
  std::set<std::string> given;    // the options named on the command line ("--hang-timeout")
};

struct ReplayPlan {
  ReplayOptions options;
  std::vector<blackbox::LoadedReproducer> reproducers;
  std::vector<blackbox::FuzzProtocol> protocols;  // one per reproducer
  bool writesScenarios() const { return !options.scenarioDirectory.empty(); }
};

struct ReplayVerdict {
  std::string path;
  std::string verdict;  // "crash", "hang", "leak", "no fault", "not run"
  std::string detail;
  bool reproduced() const { return verdict == "crash" || verdict == "hang" || verdict == "leak"; }
};

// Checks the options (a --write-scenarios folder is made if missing and must take files; a --target-cmd
// needs a usable TMPDIR) and loads every reproducer; the error is bad usage or an unreadable file (exit 2).
Expected<ReplayPlan, std::string> planReplay(const ReplayOptions& options);

struct ScenarioWriteFailure {
  std::string message;
  bool writeFailed = false;  // the file system failed a write (ENOSPC, EIO: exit 3); otherwise bad input (exit 2)
};

// --write-scenarios: each reproducer becomes DIR/<scenario id>.scn (blackbox/regression_scenario.h), written
// whole or not at all (base/output_file.h). An existing file is left alone unless it already holds the same
// text: it may have been edited since. Returns a line per file ("DIR/x.scn: written from R", "...:
// unchanged").
Expected<std::vector<std::string>, ScenarioWriteFailure> writeRegressionScenarios(const ReplayPlan& plan);

// Starts or reaches the target and replays every reproducer, a fresh server for each when sockspec starts
// it. The error (exit 2) is a target that cannot be started, restarted or reached.
Expected<std::vector<ReplayVerdict>, std::string> replayReproducers(const ReplayPlan& plan);

// --json: the verdicts as a JSON array.
std::string verdictsAsJson(const std::vector<ReplayVerdict>& verdicts);

}  // namespace sockspec::app
