// sockspec-server-fuzzer, the fuzz loop of `sockspec fuzz --service any` as a libFuzzer program of its own
// (what ClusterFuzzLite runs: docs/fuzzing-black-box.md), against sockspec-test-fuzz-victim: each fault is
// found from seeds that hold its trigger among ordinary requests (as in fuzz_any_test.cpp), libFuzzer saves
// one crash-* file, and running the program on that file alone gives the same verdict 10 times out of 10, as
// does `sockspec replay`; the server without a fault gives nothing in libFuzzer's bad-build check
// (-seed=1337 -runs=4, "Done 4 runs"); a bad options file is exit 2 naming its line. Nothing is left in
// TMPDIR, however the program ended.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "support/built_programs.h"
#include "support/pcap_builder.h"
#include "support/program_run.h"
#include "support/test_files.h"

using namespace sockspec::testing;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

const std::string kSeparator = "\x1e\x1e";

// One binary frame: [u16 length][type][payload] (fuzz_victim_server.cpp).
std::string frame(unsigned type, const std::string& payload) {
  std::size_t length = payload.size() + 1;
  return std::string{static_cast<char>(length >> 8), static_cast<char>(length & 0xff),
                     static_cast<char>(type)} +
         payload;
}

struct Setup {
  std::string options;  // the options file
  std::string corpus;
  std::string artifacts;
  std::string tmp;  // the program's TMPDIR
};

std::vector<std::string> filesIn(const std::string& folder) {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(folder)) files.push_back(entry.path().string());
  return files;
}

Setup prepare(const std::string& optionsText, const std::vector<std::string>& seeds) {
  Setup setup{tempFilePath("server-fuzzer", ".sockspec"), tempFilePath("server-fuzzer-corpus"),
              tempFilePath("server-fuzzer-artifacts"), tempFilePath("server-fuzzer-tmp")};
  writeFileOrFail(setup.options, optionsText);
  fs::create_directories(setup.corpus);
  fs::create_directories(setup.artifacts);
  fs::create_directories(setup.tmp);
  for (std::size_t i = 0; i < seeds.size(); ++i)
    writeFileOrFail(setup.corpus + "/seed-" + std::to_string(i), seeds[i]);
  return setup;
}

ProgramRun runFuzzer(const Setup& setup, const std::vector<std::string>& arguments) {
  std::vector<std::string> argv{"/usr/bin/env", "TMPDIR=" + setup.tmp,
                                "SOCKSPEC_SERVER_FUZZER_OPTIONS=" + setup.options,
                                SOCKSPEC_SERVER_FUZZER_BINARY};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return runProgram(argv, {}, 240s);
}

std::string victim(const std::string& protocol, bool udp, const std::string& fault) {
  return std::string(SOCKSPEC_FUZZ_VICTIM_BINARY) + " --port {port} --protocol " + protocol +
         (udp ? " --udp" : "") + " --fault " + fault;
}

struct Case {
  std::string protocol;
  bool udp;
  std::string fault;
  std::string kind;       // crash, hang
  std::string signature;  // the start of it
};

std::vector<std::string> seedsFor(const Case& found) {
  bool line = found.protocol == "line";
  std::vector<std::string> seeds =
      line ? std::vector<std::string>{"PING\n", "LOGIN admin\n", "SET a b\n", "GET a\n"}
           : std::vector<std::string>{frame(1, ""), frame(2, "admin"), frame(4, "a")};
  if (found.fault == "crash-after-login") {
    seeds.push_back(line ? "LOGIN admin\n" + kSeparator + "STAT\n"
                         : frame(2, "admin") + kSeparator + frame(5, ""));
  }
  if (found.fault == "hang-on-command") seeds.push_back(line ? "GET loop\n" : frame(4, "loop"));
  if (found.fault == "stop-accepting") seeds.push_back(line ? "QUIT now\n" : frame(6, "now"));
  return seeds;
}

std::string optionsFor(const Case& found) {
  std::string text = "# the victim of the test\n--target-cmd " +
                     victim(found.protocol, found.udp, found.fault) +
                     "\n--service any\n--hang-timeout 300\n--probe " +
                     (found.protocol == "line" ? "PING\\n" : "\\x00\\x01\\x01") + "\n";
  if (found.udp) text += "--target udp://127.0.0.1:{port}\n";
  return text;
}

void findAndReproduce(const Case& found) {
  CAPTURE(found.protocol, found.udp, found.fault);
  Setup setup = prepare(optionsFor(found), seedsFor(found));
  // -max_total_time only bounds a run that finds nothing: the trigger is among the seeds, run first.
  auto run = runFuzzer(
      setup, {"-seed=7", "-max_total_time=180", "-artifact_prefix=" + setup.artifacts + "/", setup.corpus});
  INFO(run.describe());
  REQUIRE(run.exitedWith(77));  // libFuzzer's exit after a deadly signal (-error_exitcode)
  CHECK(run.err.find("==sockspec== ERROR: " + found.kind + ": ") != std::string::npos);
  CHECK(run.err.find("==sockspec== signature: " + found.signature) != std::string::npos);
  CHECK(run.err.find("ERROR: libFuzzer: deadly signal") != std::string::npos);
  auto saved = filesIn(setup.artifacts);
  REQUIRE(saved.size() == 1);
  CHECK(fs::path(saved[0]).filename().string().rfind("crash-", 0) == 0);
  CHECK(filesIn(setup.tmp).empty());  // the server's folder went with it, before the abort

  // The saved input alone, as ClusterFuzz reproduces it: the same verdict every time.
  for (int i = 0; i < 10; ++i) {
    auto again = runFuzzer(setup, {saved[0]});
    INFO("run " << i << ": " << again.describe());
    REQUIRE(again.exitedWith(77));
    CHECK(again.err.find("==sockspec== signature: " + found.signature) != std::string::npos);
  }
  CHECK(filesIn(setup.tmp).empty());

  // And sockspec replay takes it as a reproducer of `sockspec fuzz --service any`.
  std::vector<std::string> replay{sockspecBinary(),
                                  "replay",
                                  saved[0],
                                  "--service",
                                  "any",
                                  "--hang-timeout",
                                  "300",
                                  "--probe",
                                  found.protocol == "line" ? "PING\\n" : "\\x00\\x01\\x01",
                                  "--target-cmd",
                                  victim(found.protocol, found.udp, found.fault)};
  if (found.udp) replay.insert(replay.end(), {"--target", "udp://127.0.0.1:{port}"});
  auto replayed = runProgram(replay, {}, 60s);
  INFO(replayed.describe());
  CHECK(replayed.exitedWith(1));
  CHECK(replayed.out.find(": " + found.kind + ": ") != std::string::npos);
}

}  // namespace

TEST_CASE(
    "sockspec-server-fuzzer finds a crash behind LOGIN then STAT and the saved input reproduces it 10 of 10",
    "[live][fuzz]") {
  findAndReproduce(GENERATE(Case{"line", false, "crash-after-login", "crash", "crash: killed by SIGABRT"},
                            Case{"binary", true, "crash-after-login", "crash", "crash: killed by SIGABRT"}));
}

TEST_CASE("sockspec-server-fuzzer blames a server that stops accepting on the input that did it",
          "[live][fuzz]") {
  findAndReproduce(Case{"line", false, "stop-accepting", "crash", "crash: stopped accepting"});
}

TEST_CASE("sockspec-server-fuzzer finds a server hung by one command and the saved input reproduces it",
          "[live][fuzz]") {
  findAndReproduce(Case{"line", false, "hang-on-command", "hang", "hang: the server stopped answering"});
}

TEST_CASE("sockspec-server-fuzzer passes libFuzzer's start-up check against a server without a fault",
          "[live][fuzz]") {
  Case healthy{"line", false, "none", "", ""};
  Setup setup = prepare(optionsFor(healthy), seedsFor(healthy));
  // What OSS-Fuzz's bad_build_check runs (check_startup_crash): no corpus, four inputs.
  auto start = runFuzzer(setup, {"-seed=1337", "-runs=4", "-artifact_prefix=" + setup.artifacts + "/"});
  INFO(start.describe());
  CHECK(start.exitedWith(0));
  CHECK(start.err.find("Done 4 runs") != std::string::npos);
  // And a short run from the seeds: nothing found, nothing saved, nothing left behind.
  auto run =
      runFuzzer(setup, {"-seed=7", "-runs=3000", "-artifact_prefix=" + setup.artifacts + "/", setup.corpus});
  INFO(run.describe());
  CHECK(run.exitedWith(0));
  CHECK(run.err.find("Done 3000 runs") != std::string::npos);
  CHECK(run.err.find("==sockspec== ERROR") == std::string::npos);
  // The dictionary learned from the seeds was given to libFuzzer (its count on stderr).
  CHECK(run.err.find("Dictionary: ") != std::string::npos);
  CHECK(filesIn(setup.artifacts).empty());
  CHECK(filesIn(setup.tmp).empty());
}

TEST_CASE("sockspec-server-fuzzer refuses a bad options file with exit 2, naming the file and line",
          "[live][fuzz]") {
  struct Bad {
    std::string text;
    std::string message;  // after "<file>"
  };
  std::string server = victim("line", false, "none");
  auto bad = GENERATE_COPY(
      Bad{"--service any\n--bogus 1\n", ":2: unknown option --bogus"},
      Bad{"--target-cmd " + server + "\n--service any\n--hang-timeout 5\n", ":3: --hang-timeout: "},
      Bad{"--target-cmd " + server + "\n", ": --service is missing"},
      Bad{"--target-cmd " + server + "\n--service any\n--service any\n", ":3: --service is given twice"},
      Bad{"  target-cmd x\n", ":1:3: expected an option"},
      Bad{"--service any\n", ": --target-cmd CMD or --target URL is required (the server to fuzz)"},
      Bad{"--target-cmd exit 0\n--service any\n--ready-timeout 500\n",
          ": target command exited (exit 0) before serving"},
      Bad{"--target-cmd " + server + "\n--service any\n--reply [\n", ": --reply"});
  CAPTURE(bad.text);
  Setup setup = prepare(bad.text, {});
  auto run = runFuzzer(setup, {"-runs=1"});
  INFO(run.describe());
  CHECK(run.exitedWith(2));
  CHECK(run.err.find("sockspec-server-fuzzer: " + setup.options + bad.message) != std::string::npos);
  CHECK(filesIn(setup.tmp).empty());
}

TEST_CASE("sockspec-server-fuzzer without an options file says where it looked and how to name one",
          "[live][fuzz]") {
  Setup setup = prepare("", {});
  fs::remove(setup.options);
  auto run = runFuzzer(setup, {"-runs=1"});
  INFO(run.describe());
  CHECK(run.exitedWith(2));
  CHECK(run.err.find(setup.options + ": open: ENOENT") != std::string::npos);
  CHECK(run.err.find("SOCKSPEC_SERVER_FUZZER_OPTIONS") != std::string::npos);
}

TEST_CASE("sockspec-server-fuzzer takes seeds from a capture named in its options file", "[live][fuzz]") {
  // One UDP flow to port 53 of a capture: LOGIN, then STAT, the victim's crash (its port is any free one, so
  // the capture's busiest server port is taken).
  PcapBuilder capture(kLinkEthernet);
  std::uint32_t usec = 0;
  for (std::string message : {"LOGIN admin\n", "STAT\n"}) {
    capture.record(
        1, usec++,
        ethernet(ipv4(kTestClientAddress, kTestServerAddress, 17, udpHeaderAndPayload(5000, 53, message)),
                 false));
  }
  std::string pcap = tempFilePath("server-fuzzer-seeds", ".pcap");
  writeFileOrFail(pcap, capture.str());
  Case found{"line", true, "crash-after-login", "crash", "crash: killed by SIGABRT"};
  Setup setup = prepare(optionsFor(found) + "--seeds-from " + pcap + "\n", {});  // an empty corpus folder
  auto run = runFuzzer(
      setup, {"-seed=7", "-max_total_time=180", "-artifact_prefix=" + setup.artifacts + "/", setup.corpus});
  INFO(run.describe());
  REQUIRE(run.exitedWith(77));
  CHECK(run.err.find("==sockspec== signature: crash: killed by SIGABRT") != std::string::npos);
  // libFuzzer read the capture's seed from a folder of its own, after the (empty) corpus.
  CHECK(run.err.find("1 files found in " + setup.tmp) != std::string::npos);
  REQUIRE(filesIn(setup.artifacts).size() == 1);
  CHECK(filesIn(setup.tmp).empty());
}
