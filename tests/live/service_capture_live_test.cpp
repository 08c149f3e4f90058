// Service checks on the wire (docs/service-suites.md, "On the wire"): as root, a check the reference server's
// or the line server's fault makes fail says what the server did with the packet numbers of its pcap, and
// those numbers are checked here against the pcap read back with the project's reader (an oracle of its
// own, on purpose: it looks the packets up by number instead of retelling the flow like
// capture/wire_account).
// `--capture DIR` keeps one pcap per check and the JSON report names each; without it none is left; over
// AF_UNIX the run says once that nothing is captured. Not root: skipped with a WARN.
#include <fmt/format.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>

#include "capture/packet_dissector.h"
#include "capture/pcap_file_reader.h"
#include "process/target_session.h"
#include "suites/service_suite.h"
#include "support/built_programs.h"
#include "support/program_run.h"
#include "support/test_files.h"

namespace sockspec {
namespace {

using capture::DissectedPacket;

bool skippedUnlessRoot() {
  if (::geteuid() == 0) return false;
  WARN("sockspec-test-skipped: capturing a service check on lo needs CAP_NET_RAW (run as root)");
  return true;
}

// A fresh, empty directory for one test's pcaps.
std::string freshDirectory(const std::string& stem) {
  std::string path = testing::tempFilePath(stem);
  std::filesystem::create_directories(path);
  return path;
}

std::set<std::string> filesIn(const std::string& directory) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory))
    names.insert(entry.path().filename());
  return names;
}

// Runs `checks` of `suite` against a server started by `command` (a fresh one per check), capturing into
// `directory` (kept with `keep`).
report::RunResult runCaptured(const std::string& suite, const std::string& command, const std::string& url,
                              std::vector<std::string> checks, const std::string& directory, bool keep) {
  process::TargetSpec spec;
  spec.command = command;
  spec.url = url;
  auto session = process::TargetSession::open(spec);
  REQUIRE(session.ok());
  suites::SuiteOptions options;
  options.only = std::move(checks);
  options.session = &*session;
  options.captureDirectory = directory;
  options.keepCaptures = keep;
  if (suite == "server") {
    options.request = "PING\r\n";
    auto reply = pattern::BytePattern::make(pattern::PatternKind::Regex, R"(^\+PONG\r\n$)");
    REQUIRE(reply.ok());
    options.reply = *reply;
  }
  report::RunResult run = suites::runServiceSuite(suite, session->endpoint(), options);
  session->stop();
  return run;
}

// The TCP packets of the pcap to or from `clientPort`, by frame number (1-based, counting every frame of the
// file, as tshark numbers them).
std::map<std::uint64_t, DissectedPacket> readPackets(const std::string& path, std::uint16_t clientPort) {
  auto reader = capture::PcapFileReader::open(path);
  REQUIRE(reader.ok());
  std::map<std::uint64_t, DissectedPacket> packets;
  capture::CaptureRecord record;
  std::uint64_t number = 0;
  // Bounded by the file.
  for (;;) {
    capture::ReadStatus status = reader->next(record);
    REQUIRE(status != capture::ReadStatus::Error);
    if (status == capture::ReadStatus::End) break;
    number += 1;
    DissectedPacket packet;
    if (capture::dissectPacket(reader->linkType(), record.frame, packet) != capture::DissectStatus::Ok)
      continue;
    if (packet.source.port == clientPort || packet.destination.port == clientPort) {
      packets[number] = packet;
    }
  }
  return packets;
}

std::uint64_t numberAfter(const std::string& message, const std::string& label) {
  std::smatch match;
  REQUIRE(std::regex_search(message, match, std::regex(label + " #([0-9]+)")));
  return std::stoull(match[1]);
}

bool has(const DissectedPacket& packet, std::uint8_t flag) {
  return (packet.tcpFlags & flag) != 0;
}

// The first packet from `fromServer`'s side with `flag`; 0 when none.
std::uint64_t firstWith(const std::map<std::uint64_t, DissectedPacket>& packets, std::uint16_t serverPort,
                        bool fromServer, std::uint8_t flag) {
  for (const auto& [number, packet] : packets) {
    if ((packet.source.port == serverPort) == fromServer && has(packet, flag)) return number;
  }
  return 0;
}

const report::CheckResult& onlyCheck(const report::RunResult& run, std::string_view id) {
  INFO(fmt::format("{} results", run.checks.size()));
  REQUIRE(run.checks.size() == 1);
  REQUIRE(run.checks.front().id == id);
  return run.checks.front();
}

// The connection the message tells first: its handshake, its first client FIN (when named), its first
// server RST and the server data just before it (when named) are those packets of the pcap.
void requireNumbersMatchPcap(const report::CheckResult& check) {
  INFO(check.message);
  REQUIRE(check.status == report::Status::Failed);
  REQUIRE(!check.captureFile.empty());
  REQUIRE(check.message.find(fmt::format("on the wire ({}): ", check.captureFile)) != std::string::npos);
  std::smatch clause;
  REQUIRE(std::regex_search(check.message, clause,
                            std::regex("client [^ ]+:([0-9]+): SYN #([0-9]+), SYN-ACK #([0-9]+)")));
  auto clientPort = static_cast<std::uint16_t>(std::stoul(clause[1]));
  std::uint64_t syn = std::stoull(clause[2]);
  std::uint64_t synAck = std::stoull(clause[3]);
  auto packets = readPackets(check.captureFile, clientPort);
  REQUIRE(packets.count(syn) == 1);
  std::uint16_t serverPort = packets.at(syn).destination.port;
  CHECK(syn == firstWith(packets, serverPort, false, capture::kTcpSyn));
  CHECK(synAck == firstWith(packets, serverPort, true, capture::kTcpSyn));
  CHECK(has(packets.at(synAck), capture::kTcpAck));

  std::string told = clause.suffix();
  std::uint64_t rst = numberAfter(told, "server RST");
  CHECK(rst == firstWith(packets, serverPort, true, capture::kTcpRst));
  if (told.find("client FIN #") != std::string::npos) {
    std::uint64_t fin = numberAfter(told, "client FIN");
    CHECK(fin == firstWith(packets, serverPort, false, capture::kTcpFin));
    CHECK(fin < rst);
  }
  if (told.find("right after its data #") != std::string::npos) {
    std::uint64_t data = numberAfter(told, "right after its data");
    REQUIRE(packets.count(data) == 1);
    CHECK(packets.at(data).source.port == serverPort);
    CHECK(packets.at(data).payloadLength > 0);
    // No packet of the server's on this connection between its data and its RST.
    for (auto it = packets.upper_bound(data); it != packets.end() && it->first < rst; ++it) {
      CHECK(it->second.source.port != serverPort);
    }
  }
}

}  // namespace

TEST_CASE(
    "echo.half-close against rst-on-close: the message names the handshake, the client's FIN and the "
    "server's RST as the pcap numbers them",
    "[live][capture]") {
  if (skippedUnlessRoot()) return;
  std::string url = GENERATE(std::string("tcp://127.0.0.1:{port}"), std::string("tcp://[::1]:{port}"));
  std::string directory = freshDirectory("half-close-captures");
  std::string command = testing::serverBinary() + " --listen " + url + " --service echo --fault rst-on-close";
  auto run = runCaptured("echo", command, url, {"echo.half-close"}, directory, true);
  const auto& check = onlyCheck(run, "echo.half-close");
  std::string family = url.find('[') != std::string::npos ? "tcp6" : "tcp";
  CHECK(check.captureFile == directory + "/echo.half-close." + family + ".pcap");
  CHECK(check.captureDropped == 0);
  CHECK(check.message.find("likely: the server closed with input unread") != std::string::npos);
  requireNumbersMatchPcap(check);
}

TEST_CASE(
    "server.unread-input-close against the line server's rst-on-close: its reply, then its RST, by number",
    "[live][capture]") {
  if (skippedUnlessRoot()) return;
  std::string directory = freshDirectory("profile-captures");
  std::string command = std::string(SOCKSPEC_LINE_SERVER_BINARY) + " --port {port} --fault rst-on-close";
  auto run = runCaptured("server", command, "", {"server.unread-input-close"}, directory, true);
  const auto& check = onlyCheck(run, "server.unread-input-close");
  INFO(check.message);
  CHECK(check.message.find("right after its data #") != std::string::npos);
  requireNumbersMatchPcap(check);
}

TEST_CASE("without --capture a failed check still tells the wire, and no pcap is left", "[live][capture]") {
  if (skippedUnlessRoot()) return;
  std::string directory = freshDirectory("scratch-captures");
  std::string command =
      testing::serverBinary() + " --listen tcp://127.0.0.1:{port} --service echo --fault no-half-close";
  auto run = runCaptured("echo", command, "", {"echo.one-byte-writes", "echo.half-close"}, directory, false);
  REQUIRE(run.checks.size() == 2);
  CHECK(run.checks[0].status == report::Status::Passed);
  CHECK(run.checks[0].message.empty());
  const auto& check = run.checks[1];
  INFO(check.message);
  CHECK(check.status == report::Status::Failed);
  CHECK(check.captureFile.empty());
  CHECK(std::regex_search(check.message,
                          std::regex("; on the wire \\(not kept: --capture DIR keeps it\\): client "
                                     "127\\.0\\.0\\.1:[0-9]+: SYN #[0-9]+, SYN-ACK #[0-9]+, ")));
  CHECK(filesIn(directory).empty());
}

TEST_CASE("run --capture DIR --suite echo --target-cmd leaves one pcap per check, named in the JSON report",
          "[live][capture]") {
  if (skippedUnlessRoot()) return;
  std::string directory = testing::tempFilePath("cli-captures");
  std::string report = directory + ".json";
  std::string server = testing::serverBinary() + " --listen tcp://127.0.0.1:{port} --service echo";
  auto done = testing::runProgram({testing::sockspecBinary(), "run", "--suite", "echo", "--capture",
                                   directory, "--report", "json", "--out", report, "--target-cmd", server},
                                  {}, std::chrono::seconds(120));
  INFO(done.describe() << done.out);
  REQUIRE(done.exitedWith(0));
  CHECK(done.err.empty());
  auto document = nlohmann::json::parse(testing::readFileOrFail(report));
  std::set<std::string> named;
  for (const auto& check : document.at("scenarios")) {
    std::string id = check.at("id").get<std::string>();
    INFO(id);
    REQUIRE(check.contains("capture"));
    std::string file = check.at("capture").at("file").get<std::string>();
    CHECK(file == std::filesystem::absolute(directory).string() + "/" + id + ".tcp.pcap");
    CHECK(check.at("capture").at("dropped") == 0);
    CHECK(check.at("capture").at("received").get<std::uint64_t>() > 0);
    named.insert(std::filesystem::path(file).filename());
  }
  CHECK(named.size() == 8);  // the echo suite's stream checks
  CHECK(filesIn(directory) == named);
  // sockspec inspect reads each to its end.
  for (const auto& name : named) {
    auto inspected = testing::runProgram({testing::sockspecBinary(), "inspect", directory + "/" + name});
    INFO(name << ": " << inspected.describe());
    CHECK(inspected.exitedWith(0));
  }
}

TEST_CASE("over AF_UNIX nothing is captured, and the run says so once", "[live]") {
  std::string socket = testing::tempSocketPath("capture-unix");
  std::string server = testing::serverBinary() + " --listen unix://" + socket + " --service echo";
  auto done = testing::runProgram({testing::sockspecBinary(), "run", "--suite", "echo", "--filter",
                                   "echo.[lo]*", "--target", "unix://" + socket, "--target-cmd", server},
                                  {}, std::chrono::seconds(60));
  INFO(done.describe() << done.out);
  REQUIRE(done.exitedWith(0));
  CHECK(done.err ==
        fmt::format("sockspec run: the checks are not captured: unix://{} is AF_UNIX: no packets to "
                    "capture\n",
                    socket));
}

}  // namespace sockspec
