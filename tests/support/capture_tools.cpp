#include "support/capture_tools.h"

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/display_escape.h"
#include "support/built_programs.h"
#include "support/program_run.h"

namespace sockspec::testing {

namespace {

constexpr auto kStartLimit = std::chrono::seconds(10);
constexpr auto kStopLimit = std::chrono::seconds(10);
// tshark on the largest test capture (a few MiB) takes about a second; a loaded machine gets a margin.
constexpr auto kReadLimit = std::chrono::seconds(120);

std::vector<std::string> splitFields(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream stream(line);
  while (std::getline(stream, field, '\t')) fields.push_back(field);
  if (!line.empty() && line.back() == '\t') fields.emplace_back();
  return fields;
}

}  // namespace

bool programOnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::istringstream directories(path != nullptr ? path : "/usr/bin:/bin");
  std::string directory;
  while (std::getline(directories, directory, ':')) {
    if (directory.empty()) continue;
    if (::access((directory + "/" + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

bool runningAsRoot() {
  return ::geteuid() == 0;
}

CaptureProgram CaptureProgram::start(const std::vector<std::string>& argv, const std::string& readyText) {
  // Both programs say they are ready on stderr; the shell merges it into the stdout pipe read here, then
  // becomes the program (exec), so the ChildProcess is the capture program itself.
  std::vector<std::string> shell{"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1"};
  shell.insert(shell.end(), argv.begin(), argv.end());
  process::SpawnOptions options;
  options.captureStdout = true;
  auto spawned = process::ChildProcess::spawn(shell, options);
  if (!spawned) FAIL("could not start " << argv.front() << ": " << spawned.error());
  process::ChildProcess child = std::move(*spawned);
  auto deadline = Deadline::after(kStartLimit);
  std::string printed;
  while (auto line = child.readLine(deadline)) {
    printed += *line + "\n";
    if (line->find(readyText) != std::string::npos) return CaptureProgram(std::move(child), printed);
  }
  FAIL(argv.front() << " did not say '" << readyText << "' within 10 s; it printed: '"
                    << escapeForDisplay(printed, 600) << "'");
  throw std::logic_error("unreachable");  // FAIL throws
}

std::string CaptureProgram::stop() {
  m_child.signal(SIGINT);
  auto status = m_child.wait(Deadline::after(kStopLimit));
  m_printed += m_child.readAllStdout(Deadline::after(std::chrono::seconds(2)));
  INFO("capture program printed: '" << escapeForDisplay(m_printed, 600) << "'");
  REQUIRE(status.has_value());
  INFO("it ended: " << status->describe());
  REQUIRE(status->exited);
  REQUIRE(status->code == 0);
  return m_printed;
}

CaptureProgram startTcpdump(const std::string& interface, const std::string& path,
                            const std::vector<std::string>& extra) {
  // Immediate mode hands each packet over as it arrives (TPACKET_V3 blocks otherwise wait to fill or time
  // out, and SIGINT can end tcpdump before a small-snaplen block is handed over); a 64 MiB buffer (-B, in
  // KiB) holds the bursts of a bulk transfer on lo while several capture programs run at once.
  std::vector<std::string> argv{"tcpdump", "-i",   interface,          "-w", path,
                                "-Z",      "root", "--immediate-mode", "-B", "65536"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return CaptureProgram::start(argv, "listening on");
}

CaptureProgram startDumpcap(const std::string& interface, const std::string& path) {
  return CaptureProgram::start({"dumpcap", "-i", interface, "-w", path, "-B", "64"}, "Capturing on");  // MiB
}

long long capturedPacketCount(const std::string& printed) {
  // dumpcap rewrites its progress line with '\r', so its figure is found anywhere in the text.
  for (const char* label : {"Packets captured: "}) {
    auto at = printed.rfind(label);
    if (at != std::string::npos) return std::atoll(printed.c_str() + at + std::strlen(label));
  }
  for (const auto& line : splitLines(printed)) {
    long long count = 0;
    if (std::sscanf(line.c_str(), "%lld packets captured", &count) == 1) return count;
  }
  return -1;
}

DirectedCounts tsharkDirectedCounts(const std::string& path) {
  // One line per packet: captured length, then the first (outermost) address and port fields. ICMP errors
  // quote the TCP/UDP header of the packet they answer; they are not that flow's packets.
  auto run = runProgram({"tshark", "-r",
                         path,     "-n",
                         "-T",     "fields",
                         "-E",     "separator=/t",
                         "-E",     "occurrence=f",
                         "-Y",     "(tcp or udp) and not icmp and not icmpv6",
                         "-e",     "frame.cap_len",
                         "-e",     "ip.src",
                         "-e",     "ip.dst",
                         "-e",     "ipv6.src",
                         "-e",     "ipv6.dst",
                         "-e",     "tcp.srcport",
                         "-e",     "tcp.dstport",
                         "-e",     "udp.srcport",
                         "-e",     "udp.dstport"},
                        {}, kReadLimit);
  INFO("tshark on " << path << ": " << run.describe());
  REQUIRE(run.exitedWith(0));
  DirectedCounts counts;
  for (const auto& line : splitLines(run.out)) {
    auto f = splitFields(line);
    INFO("tshark line: '" << line << "'");
    REQUIRE(f.size() == 9);
    bool v6 = f[1].empty();
    bool tcp = !f[5].empty();
    auto endpoint = [&](const std::string& address, const std::string& port) {
      return v6 ? "[" + address + "]:" + port : address + ":" + port;
    };
    std::string source = endpoint(v6 ? f[3] : f[1], tcp ? f[5] : f[7]);
    std::string destination = endpoint(v6 ? f[4] : f[2], tcp ? f[6] : f[8]);
    auto& entry = counts[(tcp ? "tcp " : "udp ") + source + " -> " + destination];
    entry.packets += 1;
    entry.frameBytes += std::stoull(f[0]);
  }
  return counts;
}

DirectedCounts inspectDirectedCounts(const std::string& path) {
  auto run = runProgram({sockspecBinary(), "inspect", "--json", path}, {}, kReadLimit);
  INFO("inspect on " << path << ": " << run.describe());
  REQUIRE(run.exitedWith(0));
  DirectedCounts counts;
  auto document = nlohmann::json::parse(run.out);
  for (const auto& flow : document.at("files").at(0).at("flows")) {
    std::string proto = flow.at("proto").get<std::string>();
    std::string a = flow.at("a").get<std::string>();
    std::string b = flow.at("b").get<std::string>();
    for (std::size_t d = 0; d < 2; ++d) {
      DirectionCounts entry{flow.at("packets").at(d).get<std::uint64_t>(),
                            flow.at("frame_bytes").at(d).get<std::uint64_t>()};
      if (entry.packets == 0) continue;  // tshark has no line for a direction nobody sent in
      counts[proto + " " + (d == 0 ? a + " -> " + b : b + " -> " + a)] = entry;
    }
  }
  return counts;
}

std::string describeDifferences(const DirectedCounts& inspect, const DirectedCounts& tshark) {
  std::string text;
  auto describe = [](const DirectionCounts* counts) {
    return counts == nullptr ? std::string("nothing")
                             : std::to_string(counts->packets) + " packets " +
                                   std::to_string(counts->frameBytes) + " bytes";
  };
  auto lookup = [](const DirectedCounts& counts, const std::string& key) -> const DirectionCounts* {
    auto found = counts.find(key);
    return found == counts.end() ? nullptr : &found->second;
  };
  DirectedCounts keys = inspect;
  keys.insert(tshark.begin(), tshark.end());
  for (const auto& [key, ignored] : keys) {
    const DirectionCounts* ours = lookup(inspect, key);
    const DirectionCounts* theirs = lookup(tshark, key);
    if (ours != nullptr && theirs != nullptr && *ours == *theirs) continue;
    text += key + ": inspect " + describe(ours) + ", tshark " + describe(theirs) + "\n";
  }
  return text;
}

std::string swapPcapByteOrder(const std::string& pcap) {
  constexpr std::size_t kFileHeader = 24, kRecordHeader = 16;
  REQUIRE(pcap.size() >= kFileHeader);
  std::string out = pcap;
  auto swap = [&](std::size_t offset, std::size_t width) {
    for (std::size_t i = 0; i < width / 2; ++i) std::swap(out[offset + i], out[offset + width - 1 - i]);
  };
  // magic, version major and minor (16 bits each), thiszone, sigfigs, snaplen, link type
  swap(0, 4);
  swap(4, 2);
  swap(6, 2);
  for (std::size_t offset = 8; offset < kFileHeader; offset += 4) swap(offset, 4);
  bool littleEndianInput =
      static_cast<unsigned char>(pcap[0]) == 0xd4 || static_cast<unsigned char>(pcap[0]) == 0x4d;
  std::size_t offset = kFileHeader;
  while (offset < pcap.size()) {
    INFO("record at offset " << offset);
    REQUIRE(pcap.size() - offset >= kRecordHeader);
    std::uint32_t caplen = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      auto byte = std::uint32_t{static_cast<unsigned char>(pcap[offset + 8 + i])};
      caplen |= littleEndianInput ? byte << (8 * i) : byte << (8 * (3 - i));
    }
    for (std::size_t field = 0; field < kRecordHeader; field += 4) swap(offset + field, 4);
    REQUIRE(pcap.size() - offset - kRecordHeader >= caplen);
    offset += kRecordHeader + caplen;
  }
  return out;
}

void skipTest(const std::string& why) {
  std::fprintf(stderr, "SKIPPED: %s\n", why.c_str());
  std::fflush(nullptr);
  std::exit(kSkippedExitCode);
}

}  // namespace sockspec::testing
