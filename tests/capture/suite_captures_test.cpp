// Every default-suite scenario leaves its pcap, and other readers agree: `sockspec run --capture DIR` over
// the default suite must write one capture per check its JSON report lists (the file named in the report,
// nothing dropped), Wireshark's reader (capinfos) must read every one to its end, and `sockspec inspect` must
// read every one (exit 0) and count the records capinfos counts. Needs root (a network namespace per
// scenario) and capinfos; otherwise the test is reported as skipped.
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "support/built_programs.h"
#include "support/capture_tools.h"
#include "support/program_run.h"
#include "support/test_files.h"

using namespace sockspec::testing;

TEST_CASE("every default-suite scenario leaves a pcap that capinfos and inspect read to its end",
          "[capture][suite]") {
  if (!runningAsRoot()) skipTest("not root: sockspec run --capture needs a network namespace per scenario");
  if (!programOnPath("capinfos")) skipTest("capinfos (tshark's package) is not installed");

  std::string directory = tempFilePath("suite-captures");
  std::string report = directory + ".json";
  auto run =
      runProgram({sockspecBinary(), "run", "--capture", directory, "--report", "json", "--out", report}, {},
                 std::chrono::seconds(240));
  INFO("sockspec run: " << run.describe());
  REQUIRE(run.status.has_value());
  REQUIRE(run.status->exited);
  // 0: all passed; 1: a check failed, which is the suite's business, not the capture's.
  REQUIRE((run.status->code == 0 || run.status->code == 1));

  auto document = nlohmann::json::parse(readFileOrFail(report));
  std::set<std::string> reported;
  std::size_t checks = 0;
  for (const auto& scenario : document.at("scenarios")) {
    std::string id =
        scenario.at("id").get<std::string>() + "[" + scenario.at("family").get<std::string>() + "]";
    INFO(id << " (" << scenario.at("status") << ")");
    if (scenario.at("status") == "skipped") continue;
    checks += 1;
    REQUIRE(scenario.contains("capture"));
    std::string file = scenario.at("capture").at("file").get<std::string>();
    CHECK(scenario.at("capture").at("dropped") == 0);
    CHECK(pathExists(file));
    CHECK(reported.insert(file).second);  // one file per check
  }
  REQUIRE(checks >= 200);  // the default suite has 230 checks; most of them cannot be skipped as root

  std::set<std::string> written;
  for (const auto& entry : std::filesystem::directory_iterator(directory))
    written.insert(entry.path().string());
  CHECK(written == reported);

  std::vector<std::string> files(reported.begin(), reported.end());
  // capinfos: "FILE<TAB>packets" per file (-T -r: table, no header; -c: packet count; -M: exact numbers),
  // exit 0 only when every file was read to its end.
  std::vector<std::string> capinfos{"capinfos", "-T", "-r", "-c", "-M"};
  capinfos.insert(capinfos.end(), files.begin(), files.end());
  auto counted = runProgram(capinfos, {}, std::chrono::seconds(120));
  INFO("capinfos: " << counted.describe());
  CHECK(counted.exitedWith(0));
  std::map<std::string, std::uint64_t> packets;
  for (const auto& line : splitLines(counted.out)) {
    auto tab = line.rfind('\t');
    REQUIRE(tab != std::string::npos);
    packets[line.substr(0, tab)] = std::stoull(line.substr(tab + 1));
  }
  CHECK(packets.size() == files.size());

  std::vector<std::string> inspect{sockspecBinary(), "inspect", "--json"};
  inspect.insert(inspect.end(), files.begin(), files.end());
  auto inspected = runProgram(inspect, {}, std::chrono::seconds(120));
  INFO("inspect: " << inspected.describe());
  REQUIRE(inspected.exitedWith(0));
  std::uint64_t withFlows = 0;
  auto inspectedDocument = nlohmann::json::parse(inspected.out);
  for (const auto& file : inspectedDocument.at("files")) {
    std::string path = file.at("file").get<std::string>();
    INFO(path);
    CHECK(file.at("error").is_null());
    CHECK(file.at("records") == packets[path]);
    if (!file.at("flows").empty()) withFlows += 1;
  }
  // AF_UNIX scenarios put nothing on lo; the TCP and UDP ones must show their flows.
  CHECK(withFlows >= checks / 2);
}
