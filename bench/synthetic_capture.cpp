// sockspec-synthetic-pcap: writes a classic pcap of F TCP flows sharing P packets round-robin, for showing
// what inspect's memory grows with: the same packet count over ten times the flows, or the same flows with
// ten times the packets. Each flow is a handshake, then 100-byte segments alternating direction, in order;
// flow k runs 10.(k>>16).(k>>8).(k) port 40000 -> 10.255.0.1 port 7. Ethernet framing, microseconds.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/exit_codes.h"
#include "cli_support/parse_command_line.h"

namespace {

using Bytes = std::vector<std::uint8_t>;

void putLe32(Bytes& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void putBe16(Bytes& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void putBe32(Bytes& out, std::uint32_t v) {
  putBe16(out, v >> 16);
  putBe16(out, v & 0xffff);
}

constexpr std::uint32_t kPayload = 100;

struct FlowState {
  std::uint32_t sent = 0;  // packets written so far
  std::array<std::uint32_t, 2> seq{1000, 5000};
};

// The next Ethernet + IPv4 + TCP frame of flow `flow`, advancing its state.
void appendFrame(Bytes& out, std::uint32_t flow, FlowState& state) {
  std::uint32_t client = 0x0a000000u | (flow & 0x00ffffffu);
  std::uint32_t server = 0x0aff0001u;
  std::uint8_t flags = 0x18;  // PSH|ACK with data
  std::uint32_t payload = kPayload;
  int direction = static_cast<int>(state.sent % 2);
  if (state.sent < 3) {  // the handshake: SYN, SYN-ACK, ACK
    static constexpr std::array<std::uint8_t, 3> kHandshake{0x02, 0x12, 0x10};
    flags = kHandshake[state.sent];
    payload = 0;
    direction = state.sent == 1 ? 1 : 0;
  }
  auto d = static_cast<std::size_t>(direction);
  std::uint32_t seq = state.seq[d];
  std::uint32_t ack = state.seq[d ^ 1u];
  state.seq[d] += payload + ((flags & 0x02) != 0 ? 1u : 0u);
  state.sent += 1;

  out.insert(out.end(), 12, 0x02);  // MAC addresses
  putBe16(out, 0x0800);
  out.push_back(0x45);
  out.push_back(0);
  putBe16(out, 40 + payload);
  putBe32(out, 0);
  out.push_back(64);
  out.push_back(6);
  putBe16(out, 0);
  putBe32(out, direction == 0 ? client : server);
  putBe32(out, direction == 0 ? server : client);
  putBe16(out, direction == 0 ? 40000 : 7);
  putBe16(out, direction == 0 ? 7 : 40000);
  putBe32(out, seq);
  putBe32(out, (flags & 0x10) != 0 ? ack : 0);
  out.push_back(0x50);
  out.push_back(flags);
  putBe16(out, 65535);
  putBe32(out, 0);
  out.insert(out.end(), payload, static_cast<std::uint8_t>('x'));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sockspec;
  std::uint32_t flows = 1000;
  std::uint64_t packets = 1'000'000;
  std::string path;
  CLI::App app{
      "Writes a pcap of FLOWS TCP flows sharing PACKETS packets round-robin (inspect's memory test)"};
  app.add_option("--flows", flows, "TCP flows")->capture_default_str()->check(CLI::Range(1u, 1u << 24));
  app.add_option("--packets", packets, "packets in all")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--out", path, "the pcap file to write")->required();
  if (auto code = cli_support::parseCommandLine(app, argc, argv, [&](const CLI::ParseError& error) {
        fmt::print(stderr, "sockspec-synthetic-pcap: {}\n", error.what());
        return static_cast<int>(kExitUsage);
      })) {
    return *code;
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "wb"), &std::fclose);
  if (!file) {
    fmt::print(stderr, "sockspec-synthetic-pcap: {}: cannot create\n", path);
    return kExitUsage;
  }
  Bytes out;
  putLe32(out, 0xa1b2c3d4u);
  out.insert(out.end(), {2, 0, 4, 0});
  putLe32(out, 0);
  putLe32(out, 0);
  putLe32(out, 65535);
  putLe32(out, 1);  // LINKTYPE_ETHERNET
  std::vector<FlowState> states(flows);
  Bytes frame;
  for (std::uint64_t i = 0; i < packets; ++i) {
    auto flow = static_cast<std::uint32_t>(i % flows);
    frame.clear();
    appendFrame(frame, flow, states[flow]);
    putLe32(out, static_cast<std::uint32_t>(1'700'000'000 + i / 1'000'000));
    putLe32(out, static_cast<std::uint32_t>(i % 1'000'000));
    putLe32(out, static_cast<std::uint32_t>(frame.size()));
    putLe32(out, static_cast<std::uint32_t>(frame.size()));
    out.insert(out.end(), frame.begin(), frame.end());
    if (out.size() > (1u << 20) || i + 1 == packets) {
      if (std::fwrite(out.data(), 1, out.size(), file.get()) != out.size()) {
        fmt::print(stderr, "sockspec-synthetic-pcap: {}: write failed\n", path);
        return kExitInternal;
      }
      out.clear();
    }
  }
  if (std::fclose(file.release()) != 0) {
    fmt::print(stderr, "sockspec-synthetic-pcap: {}: close failed\n", path);
    return kExitInternal;
  }
  return kExitOk;
}
