// `sockspec run` with wire steps, end to end: as root each TCP job captures in its own network namespace
// and its wire steps are asserted (with --capture DIR or without); with --isolation none, or without the
// privilege, the socket steps still decide and every wire step is counted as skipped with the reason, never
// as passed; a false wire assertion fails and names packet numbers. Needs root; otherwise it says
// "sockspec-test-skipped" (CTest then reports it skipped).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "support/built_programs.h"
#include "support/program_run.h"
#include "support/test_files.h"

using namespace sockspec::testing;

namespace {

const char* const kWireScenario = R"SCN(scenario t.wire
families tcp4 tcp6 unix
source "tcp_close(): data_was_unread (net/ipv4/tcp.c)"
server = socket
bind server
listen server 1
client = socket
connect client server
conn = accept server
send client "unread" -> 6
wait conn readable
close conn
recv client 16 -> ECONNRESET
wire handshake client
wire rst conn
wire no-fin conn
wire rst-to client
)SCN";

constexpr int kWireSteps = 4;

bool skipUnlessRoot() {
  if (::geteuid() == 0) return false;
  WARN("sockspec-test-skipped: needs root (a network namespace and CAP_NET_RAW per scenario)");
  return true;
}

struct Run {
  ProgramRun program;
  nlohmann::json report;
};

// Runs sockspec with a private TMPDIR and a JSON report; the TMPDIR must be empty afterwards. Everything is
// in a folder of its own under the system's temp directory, open to all, since one run is made as nobody;
// the folder is removed afterwards. The program itself is run from a copy there too: the build tree may sit
// in a folder nobody cannot enter (a clone in `mktemp -d`, mode 0700), where exec would fail with EACCES.
Run runWithReport(const std::string& scenarioText, std::vector<std::string> extra,
                  const std::vector<std::string>& prefix = {}) {
  static int counter = 0;
  namespace fs = std::filesystem;
  fs::path base = fs::temp_directory_path() /
                  ("sockspec-wire-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  std::string temp = (base / "tmpdir").string();
  fs::create_directories(temp);
  fs::permissions(base, fs::perms::all);
  fs::permissions(temp, fs::perms::all);
  std::string scenario = (base / "wire.scn").string();
  writeFileOrFail(scenario, scenarioText);
  fs::permissions(scenario, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  std::string reportPath = (base / "report.json").string();
  std::string program = (base / "sockspec").string();
  fs::copy_file(sockspecBinary(), program);
  fs::permissions(program, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                               fs::perms::others_read | fs::perms::others_exec);
  std::vector<std::string> argv = prefix;
  argv.insert(argv.end(), {"/usr/bin/env", "TMPDIR=" + temp, program, "run", "--color", "never",
                           "--report", "json", "--out", reportPath, scenario});
  argv.insert(argv.end(), extra.begin(), extra.end());
  Run run{runProgram(argv, {}, std::chrono::seconds(30)), {}};
  INFO(run.program.describe() << run.program.out);
  CHECK(fs::is_empty(temp));
  if (pathExists(reportPath)) run.report = nlohmann::json::parse(readFileOrFail(reportPath));
  std::error_code ignored;
  fs::remove_all(base, ignored);
  return run;
}

const nlohmann::json& check(const Run& run, const std::string& id) {
  for (const auto& scenario : run.report["scenarios"]) {
    if (scenario["id"] == id) return scenario;
  }
  FAIL("no check " << id << " in the report");
  return run.report;
}

}  // namespace

TEST_CASE("as root, wire steps are asserted on the job's capture, with or without a capture directory") {
  if (skipUnlessRoot()) return;
  std::string captures = tempFilePath("wire-captures");
  for (bool withDirectory : {true, false}) {
    INFO((withDirectory ? "with --capture" : "without --capture"));
    auto run = runWithReport(kWireScenario, withDirectory ? std::vector<std::string>{"--capture", captures}
                                                          : std::vector<std::string>{});
    REQUIRE(run.program.exitedWith(0));
    for (std::string family : {"tcp4", "tcp6"}) {
      const auto& tcp = check(run, "t.wire[" + family + "]");
      CHECK(tcp["status"] == "passed");
      CHECK(tcp["wire"]["asserted"] == kWireSteps);
      CHECK(tcp["wire"]["skipped"] == 0);
      CHECK(tcp.contains("capture") == withDirectory);
    }
    // unix has no packets: the wire steps are not applicable there, and say so.
    const auto& unixCheck = check(run, "t.wire[unix]");
    CHECK(unixCheck["status"] == "passed");
    CHECK(unixCheck["wire"]["asserted"] == 0);
    CHECK(unixCheck["wire"]["skipped"] == kWireSteps);
    CHECK(unixCheck["wire"]["skip_reason"] == "wire steps do not apply to unix: it sends no packets");
    CHECK(run.program.out.find("PASS  t.wire[tcp4]  (") != std::string::npos);
    CHECK(run.program.out.find("ms)  [wire: 4 asserted]") != std::string::npos);
  }
  CHECK(pathExists(captures + "/t.wire.tcp4.pcap"));
}

TEST_CASE("without isolation (none) the socket steps decide and every wire step is skipped with the reason") {
  if (skipUnlessRoot()) return;
  auto run = runWithReport(kWireScenario, {"--isolation", "none"});
  REQUIRE(run.program.exitedWith(0));
  for (std::string family : {"tcp4", "tcp6"}) {
    const auto& tcp = check(run, "t.wire[" + family + "]");
    CHECK(tcp["status"] == "passed");
    CHECK(tcp["wire"]["asserted"] == 0);
    CHECK(tcp["wire"]["skipped"] == kWireSteps);
    CHECK(tcp["wire"]["skip_reason"] == "needs the scenario's own network namespace (--isolation none)");
  }
  CHECK(run.program.out.find("[wire: 0 asserted, 4 skipped (needs the scenario's own network namespace "
                             "(--isolation none))]") != std::string::npos);
}

TEST_CASE("without privileges the wire steps are skipped (needs CAP_NET_RAW), never passed") {
  if (skipUnlessRoot()) return;
  if (!pathExists("/usr/bin/setpriv")) {
    WARN("sockspec-test-skipped: setpriv (util-linux) is not installed");
    return;
  }
  auto run = runWithReport(kWireScenario, {},
                           {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            "--inh-caps=-all", "--bounding-set=-all"});
  INFO(run.program.describe() << run.program.out);
  REQUIRE(run.program.exitedWith(0));
  const auto& tcp = check(run, "t.wire[tcp4]");
  CHECK(tcp["status"] == "passed");
  CHECK(tcp["wire"]["asserted"] == 0);
  CHECK(tcp["wire"]["skipped"] == kWireSteps);
  CHECK(tcp["wire"]["skip_reason"] ==
        "needs CAP_NET_RAW and the scenario's own network namespace (run as root)");
}

TEST_CASE(
    "the user option switches each job to that user after its capture is open; wire steps still asserted") {
  if (skipUnlessRoot()) return;
  auto run = runWithReport(kWireScenario, {"--user", "nobody"});
  REQUIRE(run.program.exitedWith(0));
  for (std::string family : {"tcp4", "tcp6"}) {
    const auto& tcp = check(run, "t.wire[" + family + "]");
    CHECK(tcp["status"] == "passed");
    CHECK(tcp["wire"]["asserted"] == kWireSteps);
  }
  CHECK(check(run, "t.wire[unix]")["status"] == "passed");  // binds a path in the job's directory, as nobody
}

TEST_CASE("a false wire assertion fails the check and names the packets by their numbers in the pcap") {
  if (skipUnlessRoot()) return;
  std::string text = kWireScenario;
  text += "wire first-fin conn\n";  // false: close() with unread data sends no FIN at all
  auto run = runWithReport(text, {});
  REQUIRE(run.program.exitedWith(1));
  const auto& tcp = check(run, "t.wire[tcp4]");
  CHECK(tcp["status"] == "failed");
  CHECK(tcp["line"] == 18);
  std::string message = tcp["message"].get<std::string>();
  INFO(message);
  // The handshake is #1-#3, the 6 bytes #4 and their ACK #5, then the RST #6.
  CHECK(std::regex_match(message,
                         std::regex("wire first-fin conn: expected the first FIN from 127\\.0\\.0\\.1:[0-9]+ "
                                    "to 127\\.0\\.0\\.1:[0-9]+; no FIN in packets #1-#6 of this connection "
                                    "\\(from 127\\.0\\.0\\.1:[0-9]+: SYN-ACK #2, RST #6; from "
                                    "127\\.0\\.0\\.1:[0-9]+: SYN #1\\)")));
  CHECK(tcp["wire"]["asserted"] == kWireSteps + 1);
}
