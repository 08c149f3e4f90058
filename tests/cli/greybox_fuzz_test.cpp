// Grey-box fuzzing end to end (docs/grey-box.md): `sockspec fuzz` against the victim built with clang's
// SanitizerCoverage and sockspec's coverage runtime (tests/support/greybox_victim.c), whose crash is behind a
// login, a key compared 4 bytes at a time and a magic argument, every wrong field answered alike. The smaller
// version here starts from seeds that already hold the key's first half; the server's comparisons lead the
// fuzzer through the rest, over TCP and over UDP, and the finding reproduces on the plain build; over TCP
// also with the victim built with -fsanitize=fuzzer-no-link (inline-8bit-counters, handed over by the
// runtime's flusher thread), from seeds with the whole key. The same
// seeds, black-box (--no-coverage) for 20 s, find nothing: the replies alone do not lead there. (The whole
// victim, from ordinary seeds, for 2 minutes each way: bench/fuzz_greybox.sh.)
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "support/built_programs.h"
#include "support/program_run.h"
#include "support/test_files.h"

using namespace sockspec::testing;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

// Seeds that hold the key's first half (`wholeKey`: all of it, leaving only the magic argument to find).
std::string seedFolder(bool wholeKey = false) {
  std::string folder = tempFilePath("greybox-seeds");
  fs::create_directories(folder);
  writeFileOrFail(folder + "/hello", "HELLO bob\n");
  writeFileOrFail(folder + "/key", std::string("HELLO bob\n\x1e\x1eKEY Zq7!") + (wholeKey ? "k#2v" : "abcd") +
                                       "\n\x1e\x1eRUN abcd\n");
  return folder;
}

std::vector<std::string> targetOptions(const std::string& binary, bool udp) {
  std::vector<std::string> options{"--target-cmd", binary + " --port {port}" + (udp ? " --udp" : "")};
  if (udp) options.insert(options.end(), {"--target", "udp://127.0.0.1:{port}"});
  return options;
}

ProgramRun fuzz(bool udp, const std::string& artifacts, const std::vector<std::string>& extra, int seconds,
                const std::string& victim = SOCKSPEC_GREYBOX_VICTIM, bool wholeKey = false) {
  std::vector<std::string> argv{sockspecBinary(), "fuzz", "--service", "any", "--seeds", seedFolder(wholeKey),
                                "--max-time", std::to_string(seconds), "--max-findings", "1", "--seed", "7",
                                "--hang-timeout", "300", "--artifacts", artifacts};
  auto target = targetOptions(victim, udp);
  argv.insert(argv.end(), target.begin(), target.end());
  argv.insert(argv.end(), extra.begin(), extra.end());
  return runProgram(argv, {}, std::chrono::seconds(seconds + 60));
}

std::vector<std::string> reproducersIn(const std::string& folder) {
  std::vector<std::string> files;
  if (!fs::exists(folder)) return files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().extension() != ".json") files.push_back(entry.path().string());
  }
  return files;
}

}  // namespace

TEST_CASE("grey-box fuzz follows the server's comparisons to a crash behind a key and a magic argument",
          "[live][fuzz]") {
  auto [victim, udp] = GENERATE(table<std::string, bool>({{SOCKSPEC_GREYBOX_VICTIM, false},
                                                           {SOCKSPEC_GREYBOX_VICTIM, true},
                                                           {SOCKSPEC_GREYBOX_VICTIM_INLINE, false}}));
  CAPTURE(victim, udp);
  std::string artifacts = tempFilePath("greybox-findings");
  // --max-time only bounds a run that finds nothing: it ends at the finding (seconds here, unloaded).
  // The fuzzer-no-link build's inline counters are checked by coverage_runtime_live_test; here its whole path
  // (flushes before and after each input, comparisons) is run to the crash from the whole key, a shorter search
  // (the magic argument is still 4 bytes memcmp compares: out of reach without the comparisons).
  auto run = fuzz(udp, artifacts, {}, 240, victim, victim == SOCKSPEC_GREYBOX_VICTIM_INLINE);
  INFO(run.describe());
  REQUIRE(run.exitedWith(1));
  CHECK(run.err.find("grey-box: the server's coverage runtime registered ") != std::string::npos);
  CHECK(run.err.find("sockspec fuzz: grey-box: the inputs ran ") != std::string::npos);
  auto files = reproducersIn(artifacts);
  REQUIRE(files.size() == 1);
  CHECK(fs::path(files[0]).filename().string().rfind("crash-", 0) == 0);

  // The same finding on the build without instrumentation or runtime.
  std::vector<std::string> replay{sockspecBinary(), "replay", files[0], "--hang-timeout", "300"};
  auto plain = targetOptions(SOCKSPEC_GREYBOX_VICTIM_PLAIN, udp);
  replay.insert(replay.end(), plain.begin(), plain.end());
  auto replayed = runProgram(replay, {}, 60s);
  INFO(replayed.describe());
  CHECK(replayed.exitedWith(1));
  CHECK(replayed.out.find(files[0] + ": crash: ") == 0);
}

TEST_CASE("a server that daemonizes away from its inline counters' flusher is fuzzed on, and said so",
          "[live][fuzz]") {
  // The parent, whose runtime has the flusher thread, exits; the child serves with counters nobody reads.
  std::string artifacts = tempFilePath("greybox-daemon");
  std::vector<std::string> argv{sockspecBinary(), "fuzz", "--service", "any", "--seeds", seedFolder(),
                                "--max-time", "4", "--seed", "7", "--artifacts", artifacts, "--target-cmd",
                                std::string(SOCKSPEC_GREYBOX_VICTIM_INLINE) + " --port {port} --daemonize --no-crash"};
  auto run = runProgram(argv, {}, 60s);
  INFO(run.describe());
  REQUIRE(run.exitedWith(0));
  CHECK(run.err.find("grey-box: the server's coverage runtime registered ") != std::string::npos);
  CHECK(run.err.find("grey-box: the server's coverage runtime did not answer 3 flushes in a row (500 ms each)") !=
        std::string::npos);
  // Noted once, and the run went on unslowed: only the first inputs waited (asking on would cost each input
  // two waits of 500 ms, a handful of execs in 4 s).
  auto first = run.err.find("did not answer");
  CHECK(run.err.find("did not answer", first + 1) == std::string::npos);
  auto done = run.err.find("sockspec fuzz: done: ");
  REQUIRE(done != std::string::npos);
  CHECK(std::stoul(run.err.substr(done + std::string_view("sockspec fuzz: done: ").size())) > 100);
}

TEST_CASE("black-box fuzz of the same server from the same seeds does not get past the key", "[live][fuzz]") {
  std::string artifacts = tempFilePath("blackbox-findings");
  auto run = fuzz(false, artifacts, {"--no-coverage"}, 20);
  INFO(run.describe());
  CHECK(run.exitedWith(0));
  CHECK(run.err.find("grey-box") == std::string::npos);
  CHECK(run.err.find("server coverage") == std::string::npos);
  CHECK(reproducersIn(artifacts).empty());
}

TEST_CASE("a server without the coverage runtime is fuzzed black-box, saying nothing of coverage", "[live][fuzz]") {
  std::string artifacts = tempFilePath("plain-findings");
  std::string corpus = tempFilePath("plain-corpus");
  std::vector<std::string> argv{sockspecBinary(), "fuzz", "--service", "any", "--seeds", seedFolder(),
                                "--max-time", "3", "--seed", "7", "--artifacts", artifacts, "--corpus", corpus,
                                "--target-cmd", std::string(SOCKSPEC_GREYBOX_VICTIM_PLAIN) + " --port {port}"};
  auto run = runProgram(argv, {}, 60s);
  INFO(run.describe());
  CHECK(run.exitedWith(0));
  CHECK(run.err.find("grey-box") == std::string::npos);
  CHECK(run.err.find("server coverage") == std::string::npos);
  // --corpus keeps what libFuzzer kept (new reply features here), and not the seeds themselves.
  std::size_t kept = 0;
  for (const auto& entry : fs::directory_iterator(corpus)) {
    CHECK(entry.path().filename().string().rfind("given-", 0) != 0);
    ++kept;
  }
  CHECK(kept > 0);
}

TEST_CASE("fuzz --corpus in a folder that cannot be made is exit 2 naming the option", "[live][fuzz]") {
  auto run = runProgram({sockspecBinary(), "fuzz", "--service", "any", "--max-time", "1", "--artifacts",
                         tempFilePath("corpus-findings"), "--corpus", "/nonexistent/corpus", "--target-cmd",
                         std::string(SOCKSPEC_GREYBOX_VICTIM_PLAIN) + " --port {port}"},
                        {}, 60s);
  INFO(run.describe());
  CHECK(run.exitedWith(2));
  CHECK(run.err.find("--corpus /nonexistent/corpus: ") != std::string::npos);
}

TEST_CASE("sockspec-server-fuzzer is grey-box against the same server, as ClusterFuzzLite would run it",
          "[live][fuzz]") {
  std::string options = tempFilePath("greybox", ".sockspec");
  writeFileOrFail(options, "--target-cmd " + std::string(SOCKSPEC_GREYBOX_VICTIM) +
                               " --port {port}\n--service any\n--hang-timeout 300\n");
  std::string artifacts = tempFilePath("greybox-libfuzzer");
  fs::create_directories(artifacts);
  auto run = runProgram({"/usr/bin/env", "SOCKSPEC_SERVER_FUZZER_OPTIONS=" + options, SOCKSPEC_SERVER_FUZZER_BINARY,
                         "-seed=7", "-max_total_time=240", "-artifact_prefix=" + artifacts + "/", seedFolder()},
                        {}, 300s);
  INFO(run.describe());
  REQUIRE(run.exitedWith(77));  // libFuzzer's exit after the deadly signal
  CHECK(run.err.find("==sockspec== grey-box: the server's coverage runtime registered ") != std::string::npos);
  CHECK(run.err.find("==sockspec== signature: crash: killed by SIGABRT") != std::string::npos);
  CHECK(reproducersIn(artifacts).size() == 1);
}
