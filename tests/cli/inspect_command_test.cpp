// `sockspec inspect` end to end on captures built by hand: the JSON schema and counts, the text summary,
// --flow --timeline, --host/--port filters, and hostile files (exit 2 naming the file and record offset,
// printing what could be read). With tshark installed, its packet count is compared too.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "support/built_programs.h"
#include "support/pcap_builder.h"
#include "support/program_run.h"
#include "support/test_files.h"

using namespace sockspec::testing;

namespace {

constexpr std::uint32_t kClient = kTestClientAddress;
constexpr std::uint32_t kServer = kTestServerAddress;
constexpr std::uint8_t kSyn = 0x02, kFin = 0x01, kAck = 0x10, kPsh = 0x08;

Bytes frame(bool fromClient, std::uint8_t flags, std::uint32_t seq, std::uint32_t ack, std::string payload = {}) {
  return clientServerTcpFrame(fromClient, flags, seq, ack, std::move(payload));
}

PcapBuilder echoCapture() {
  PcapBuilder builder(kLinkEthernet, false, true);
  builder.record(10, 100, frame(true, kSyn, 100, 0))
      .record(10, 200, frame(false, kSyn | kAck, 500, 101))
      .record(10, 300, frame(true, kAck, 101, 501))
      .record(10, 400, frame(true, kAck | kPsh, 101, 501, "ping"))
      .record(10, 500, frame(false, kAck | kPsh, 501, 105, "ping"))
      .record(10, 600, frame(true, kAck | kFin, 105, 505))
      .record(10, 700, frame(false, kAck | kFin, 505, 106))
      .record(10, 800, frame(true, kAck, 106, 506));
  // A UDP flow on IPv6 alongside.
  builder.record(11, 0, ethernet(ipv6(1, 2, 17, udpHeaderAndPayload(5353, 53, "q"), true), true));
  return builder;
}

std::string writeCapture(const std::string& bytes) {
  std::string path = tempFilePath("inspect", ".pcap");
  writeFileOrFail(path, bytes);
  return path;
}

ProgramRun inspect(std::vector<std::string> arguments) {
  std::vector<std::string> argv{sockspecBinary(), "inspect"};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return runProgram(argv, {}, std::chrono::seconds(20));
}

}  // namespace

TEST_CASE("inspect --json gives per-flow counts, history and state", "[cli][capture]") {
  std::string path = writeCapture(echoCapture().str());
  auto run = inspect({"--json", path});
  INFO(run.describe());
  REQUIRE(run.exitedWith(0));
  auto document = nlohmann::json::parse(run.out);
  const auto& file = document.at("files").at(0);
  CHECK(file.at("file") == path);
  CHECK(file.at("records") == 9);
  CHECK(file.at("error").is_null());
  REQUIRE(file.at("flows").size() == 2);
  const auto& tcp = file.at("flows").at(0);
  CHECK(tcp.at("proto") == "tcp");
  CHECK(tcp.at("a") == "127.0.0.1:40000");
  CHECK(tcp.at("b") == "127.0.0.2:7");
  CHECK(tcp.at("packets") == nlohmann::json::array({5, 3}));
  CHECK(tcp.at("frame_bytes") == nlohmann::json::array({5 * 54 + 4, 3 * 54 + 4}));
  CHECK(tcp.at("payload_bytes") == nlohmann::json::array({4, 4}));
  CHECK(tcp.at("history") == "ShADdFf");
  CHECK(tcp.at("state") == "SF");
  CHECK(tcp.at("duration_ns") == 700);
  const auto& udp = file.at("flows").at(1);
  CHECK(udp.at("proto") == "udp");
  CHECK(udp.at("a") == "[::1]:5353");
  CHECK(udp.at("b") == "[::2]:53");
  CHECK(udp.at("payload_bytes") == nlohmann::json::array({1, 0}));
  CHECK(udp.at("state") == "S0");

  if (std::system("command -v tshark >/dev/null 2>&1") == 0) {
    // tshark loads every dissector before it reads a packet: seconds, and more on a loaded machine (it once
    // took over 20 s beside a parallel build). The oracle is bounded, but generously.
    auto tshark = runProgram({"/bin/sh", "-c", "tshark -r '" + path + "' 2>/dev/null | wc -l"}, {},
                             std::chrono::seconds(50));
    INFO(tshark.describe());
    REQUIRE(tshark.exitedWith(0));
    CHECK(std::stoi(tshark.out) == 9);
  } else {
    WARN("tshark is not installed: the comparison with tshark's counts was skipped");
  }
}

TEST_CASE("inspect prints a text summary, filters, and draws a timeline", "[cli][capture]") {
  std::string path = writeCapture(echoCapture().str());
  SECTION("summary") {
    auto run = inspect({path});
    INFO(run.describe());
    CHECK(run.exitedWith(0));
    CHECK_THAT(run.out, Catch::Contains("#1 tcp 127.0.0.1:40000 -> 127.0.0.2:7"));
    CHECK_THAT(run.out, Catch::Contains("history ShADdFf  state SF"));
  }
  SECTION("--port keeps one flow") {
    auto run = inspect({"--json", "--port", "53", path});
    INFO(run.describe());
    REQUIRE(run.exitedWith(0));
    auto flows = nlohmann::json::parse(run.out).at("files").at(0).at("flows");
    REQUIRE(flows.size() == 1);
    CHECK(flows.at(0).at("proto") == "udp");
  }
  SECTION("--host keeps one flow") {
    auto run = inspect({"--json", "--host", "127.0.0.2", path});
    INFO(run.describe());
    REQUIRE(run.exitedWith(0));
    CHECK(nlohmann::json::parse(run.out).at("files").at(0).at("flows").size() == 1);
  }
  SECTION("--flow 1 --timeline") {
    auto run = inspect({"--flow", "1", "--timeline", path});
    INFO(run.describe());
    CHECK(run.exitedWith(0));
    auto lines = splitLines(run.out);
    REQUIRE(lines.size() == 2 + 8);
    CHECK_THAT(lines[2], Catch::Contains("|-- [S] seq=0 win=65535 len=0 -->|"));
    CHECK_THAT(lines[3], Catch::Contains("|<-- [S.] seq=0 ack=1 win=65535 len=0 --|"));
  }
  SECTION("--timeline without --flow is a usage error") {
    CHECK(inspect({"--timeline", path}).exitedWith(2));
  }
}

TEST_CASE("inspect reads a capture from a pipe or a FIFO, opening it once", "[cli][capture]") {
  // The file was opened twice (libpcap, then a look at its magic number): a FIFO's writer was gone by the
  // second open, which then hung; a process substitution read nothing.
  std::string path = writeCapture(echoCapture().str());
  auto fromFile = inspect({"--json", path});
  REQUIRE(fromFile.exitedWith(0));
  auto expected = nlohmann::json::parse(fromFile.out).at("files").at(0).at("flows");

  SECTION("a process substitution") {
    auto run = runProgram({"/bin/bash", "-c", "exec '" + sockspecBinary() + "' inspect --json <(cat '" + path + "')"},
                          {}, std::chrono::seconds(20));
    INFO(run.describe());
    REQUIRE(run.exitedWith(0));
    CHECK(nlohmann::json::parse(run.out).at("files").at(0).at("flows") == expected);
  }
  SECTION("a FIFO, and a broken record in it named by its offset") {
    std::string fifo = tempFilePath("inspect-fifo");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // The writer runs beside inspect; both are bounded by runProgram's deadline.
    std::string truncated = writeCapture(echoCapture().str().substr(0, 164 + 20));
    auto run = runProgram({"/bin/sh", "-c",
                           "cat '" + truncated + "' > '" + fifo + "' & exec '" + sockspecBinary() + "' inspect --json '" +
                               fifo + "'"},
                          {}, std::chrono::seconds(20));
    INFO(run.describe());
    CHECK(run.exitedWith(2));
    CHECK_THAT(run.err, Catch::Contains(fifo + ": record at offset 164: "));
    std::filesystem::remove(fifo);
  }
}

TEST_CASE("inspect exits 2 naming the file and record offset of a broken capture", "[cli][capture]") {
  std::string good = echoCapture().str();
  SECTION("truncated in the middle of the third record") {
    // Header 24, each TCP record 16 + 54 bytes: the third record starts at 24 + 2 * 70 = 164.
    std::string path = writeCapture(good.substr(0, 164 + 20));
    auto run = inspect({"--json", path});
    INFO(run.describe());
    CHECK(run.exitedWith(2));
    CHECK_THAT(run.err, Catch::Contains(path + ": record at offset 164: "));
    auto file = nlohmann::json::parse(run.out).at("files").at(0);
    CHECK(file.at("records") == 2);
    CHECK(file.at("flows").at(0).at("packets") == nlohmann::json::array({1, 1}));
  }
  SECTION("garbage, and a good file after it still read") {
    std::string garbage = writeCapture(std::string(100, '\x01'));
    std::string path = writeCapture(good);
    auto run = inspect({garbage, path});
    INFO(run.describe());
    CHECK(run.exitedWith(2));
    CHECK_THAT(run.err, Catch::Contains(garbage + ": record at offset 0: "));
    CHECK_THAT(run.out, Catch::Contains("history ShADdFf"));
  }
  SECTION("a missing file") {
    auto run = inspect({"/nonexistent/capture.pcap"});
    CHECK(run.exitedWith(2));
    CHECK_THAT(run.err, Catch::Contains("/nonexistent/capture.pcap: record at offset 0: "));
  }
}
