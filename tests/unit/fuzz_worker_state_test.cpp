// What `sockspec fuzz`'s parent and worker tell each other (blackbox/fuzz_worker_state.h): every field
// survives the round trip, and a missing or damaged file is an error naming it, never a crash.
#include <catch2/catch.hpp>

#include <filesystem>

#include "blackbox/fuzz_worker_state.h"
#include "support/built_programs.h"
#include "support/test_files.h"

using namespace sockspec;
using sockspec::testing::tempFilePath;
using sockspec::testing::writeFileOrFail;

TEST_CASE("the worker's options round-trip through its work folder") {
  blackbox::FuzzWorkerOptions options;
  options.workDir = tempFilePath("worker");
  std::filesystem::create_directories(options.workDir);
  options.protocol.kind = blackbox::FuzzProtocolKind::Framed;
  options.target.command = "server --port {port} 'quoted arg'";
  options.target.url = "tcp://[::1]:{port}";
  options.target.readyTimeout = std::chrono::milliseconds(1234);
  options.target.probeTimeout = std::chrono::milliseconds(567);
  options.target.stopGrace = std::chrono::milliseconds(89);
  options.replayOptions = "--target-cmd 'x'";
  options.artifactsDir = "/tmp/artifacts";
  options.maxTimeSeconds = 42;
  options.hangTimeout = std::chrono::milliseconds(700);
  options.seed = 4'000'000'000u;
  options.maxLength = 65536;
  options.maxFindings = 3;
  options.progressEvery = std::chrono::milliseconds(250);
  options.noShrink = true;
  options.worker = 3;
  options.workers = 4;
  options.sharedCorpus = "/tmp/run/corpus";
  REQUIRE(blackbox::writeWorkerOptions(options));
  auto read = blackbox::readWorkerOptions(options.workDir);
  REQUIRE(read);
  CHECK(read->protocol.kind == options.protocol.kind);
  CHECK(read->target.command == options.target.command);
  CHECK(read->target.url == options.target.url);
  CHECK(read->target.readyTimeout == options.target.readyTimeout);
  CHECK(read->target.probeTimeout == options.target.probeTimeout);
  CHECK(read->target.stopGrace == options.target.stopGrace);
  CHECK(read->replayOptions == options.replayOptions);
  CHECK(read->artifactsDir == options.artifactsDir);
  CHECK(read->maxTimeSeconds == 42);
  CHECK(read->hangTimeout == options.hangTimeout);
  CHECK(read->seed == options.seed);
  CHECK(read->maxLength == 65536);
  CHECK(read->maxFindings == 3);
  CHECK(read->progressEvery == options.progressEvery);
  CHECK(read->noShrink);
  CHECK(read->worker == 3);
  CHECK(read->workers == 4);
  CHECK(read->corpusDir() == "/tmp/run/corpus");
  options.sharedCorpus.clear();
  CHECK(options.corpusDir() == options.workDir + "/corpus");
}

TEST_CASE("the states of several workers merge into one run's: sums, the longest time, one finding per signature") {
  auto finding = [](std::string signature, double seconds, std::uint64_t hits, std::string saveError = {}) {
    blackbox::FuzzFindingRecord record;
    record.path = "art/" + signature;
    record.kind = "crash";
    record.signature = std::move(signature);
    record.seconds = seconds;
    record.hits = hits;
    record.saveError = std::move(saveError);
    return record;
  };
  blackbox::FuzzState first;
  first.execs = 100;
  first.seconds = 10.5;
  first.restarts = 2;
  first.messages = 400;
  first.restEnds = 300;
  first.findings = {finding("crash: b", 4.0, 1), finding("crash: a", 2.0, 3, "disk full")};
  first.stopped = "--max-findings 2 reached";
  blackbox::FuzzState second;
  second.execs = 50;
  second.seconds = 11.0;
  second.restarts = 1;
  second.messages = 60;
  second.restEnds = 6;
  second.findings = {finding("crash: a", 1.0, 2), finding("crash: c", 9.0, 1)};
  second.stopped = "--max-findings 2 reached";

  auto merged = blackbox::mergeFuzzStates({first, second});
  CHECK(merged.execs == 150);
  CHECK(merged.seconds == 11.0);
  CHECK(merged.restarts == 3);
  CHECK(merged.messages == 460);
  CHECK(merged.restEnds == 306);
  REQUIRE(merged.findings.size() == 3);
  // In the order found, whoever found it: "a" first found by the second worker, at 1.0 s, and saved by it.
  CHECK(merged.findings[0].signature == "crash: a");
  CHECK(merged.findings[0].seconds == 1.0);
  CHECK(merged.findings[0].hits == 5);
  CHECK(merged.findings[0].saveError.empty());
  CHECK(merged.findings[1].signature == "crash: b");
  CHECK(merged.findings[2].signature == "crash: c");
  CHECK(merged.inputsThatFailed() == 7);
  CHECK(merged.stopped == "--max-findings 2 reached");  // said once
  CHECK(blackbox::mergeFuzzStates({}).execs == 0);
  CHECK(blackbox::mergeFuzzStates({first}).findings.size() == 2);
}

TEST_CASE("the worker's state round-trips, and a damaged state file is an error naming it") {
  std::string path = tempFilePath("state", ".json");
  blackbox::FuzzState state;
  state.execs = 123456;
  state.seconds = 9.5;
  state.restarts = 2;
  state.stopped = "--max-findings 1 reached";
  state.findings.push_back(
      {"/a/crash-1", "crash", "killed by SIGSEGV", "crash: killed by SIGSEGV", 2, 0.25, true, 17, "ENOSPC"});
  REQUIRE(blackbox::writeFuzzState(state, path));
  auto read = blackbox::readFuzzState(path);
  REQUIRE(read);
  CHECK(read->execs == 123456);
  CHECK(read->seconds == 9.5);
  CHECK(read->restarts == 2);
  CHECK(read->stopped == state.stopped);
  REQUIRE(read->findings.size() == 1);
  CHECK(read->findings[0].path == "/a/crash-1");
  CHECK(read->findings[0].kind == "crash");
  CHECK(read->findings[0].detail == "killed by SIGSEGV");
  CHECK(read->findings[0].inputBytes == 2);
  CHECK(read->findings[0].seconds == 0.25);
  CHECK(read->findings[0].kept);
  CHECK(read->findings[0].signature == "crash: killed by SIGSEGV");
  CHECK(read->findings[0].hits == 17);
  CHECK(read->findings[0].saveError == "ENOSPC");

  writeFileOrFail(path, "{\"execs\": \"many\"}");
  auto wrongType = blackbox::readFuzzState(path);
  REQUIRE_FALSE(wrongType);
  CHECK(wrongType.error().starts_with(path + ": "));
  writeFileOrFail(path, "not json");
  CHECK(blackbox::readFuzzState(path).error() == path + ": not a JSON object");
  CHECK(blackbox::readFuzzState(path + ".missing").error().starts_with(path + ".missing: "));
}

TEST_CASE("the state finds a finding by its signature and counts the inputs of all") {
  blackbox::FuzzState state;
  state.findings.push_back({"/a/crash-1", "crash", "killed by SIGSEGV", "crash: killed by SIGSEGV", 2, 0.25, false, 1, ""});
  state.findings.push_back({"/a/hang-2", "hang", "no reply", "hang: no reply and no close", 5, 1.5, false, 1, ""});
  state.findings[0].hits = 40;
  REQUIRE(state.findingWith("hang: no reply and no close") == &state.findings[1]);
  CHECK(state.findingWith("crash: killed by SIGABRT") == nullptr);
  CHECK(state.inputsThatFailed() == 41);
  CHECK_FALSE(state.anyUnsaved());
  state.findings[1].saveError = "/a/hang-2: write: ENOSPC (No space left on device)";
  CHECK(state.anyUnsaved());
}
