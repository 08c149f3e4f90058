// make_server_seeds: writes the seed corpora of the reference-server fuzzers from real frames, in the input
// layout of fuzz/client_actions.h, so that the seeds can be regenerated whenever the layout or the protocol
// changes:
//   make_server_seeds --out corpus        (writes corpus/server_stream/*.seed, corpus/server_datagram/*.seed)
// Each seed is named for what it does. Existing files of the same name are overwritten; others are left.
// Exit status: 0 written, 2 bad usage, 3 a file could not be written (docs/exit-codes.md).
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "base/exit_codes.h"
#include "client_actions.h"
#include "proto/framed_codec.h"

namespace {

using namespace sockspec;
using namespace sockspec::fuzz;
using proto::FrameType;
using Bytes = std::vector<std::uint8_t>;

constexpr auto kWait = static_cast<std::uint8_t>(StreamActionKind::Wait);
constexpr auto kShutdown = static_cast<std::uint8_t>(StreamActionKind::ShutdownWrite);
constexpr auto kAbort = static_cast<std::uint8_t>(StreamActionKind::Abort);
constexpr auto kClose = static_cast<std::uint8_t>(StreamActionKind::Close);
constexpr auto kDatagramWait = static_cast<std::uint8_t>(DatagramActionKind::Wait);
constexpr auto kDatagramClose = static_cast<std::uint8_t>(DatagramActionKind::Close);

Bytes text(std::string_view value) { return Bytes(value.begin(), value.end()); }

Bytes frame(FrameType type, const Bytes& payload = {}) { return proto::encodeFrame(proto::Frame{type, payload}); }

Bytes hello(std::uint8_t version = proto::kProtocolVersion, std::string_view name = "seed") {
  return proto::encodeFrame(proto::makeHello(version, name));
}

// A header only: type, flags and a claimed length, with no payload behind it.
Bytes header(std::uint8_t type, std::uint8_t flags, std::uint32_t length) {
  return {type,
          flags,
          static_cast<std::uint8_t>(length >> 24),
          static_cast<std::uint8_t>(length >> 16),
          static_cast<std::uint8_t>(length >> 8),
          static_cast<std::uint8_t>(length)};
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes all;
  for (const auto& part : parts) all.insert(all.end(), part.begin(), part.end());
  return all;
}

struct Seed {
  std::string name;
  Bytes bytes;
};

// The framed seeds, for one family: the protocol's happy paths, every error code, splits and early ends.
void addFramedSeeds(std::vector<Seed>& seeds, StreamFamily family) {
  std::string prefix = family == StreamFamily::Tcp ? "framed-tcp-" : "framed-unix-";
  auto start = [&] { return ActionWriter().streamSetup(family, StreamService::Framed); };
  Bytes echoHi = frame(FrameType::Echo, text("hi"));
  Bytes stats = frame(FrameType::Stats);
  Bytes bye = frame(FrameType::Bye);

  seeds.push_back({prefix + "handshake-requests-bye",
                   start().write(hello()).op(kWait).write(concat({echoHi, stats})).op(kWait)
                       .write(frame(FrameType::Reverse, text("abc"))).op(kWait).write(bye).op(kWait).bytes()});
  seeds.push_back({prefix + "pipelined-in-one-write",
                   start().write(concat({hello(), echoHi, frame(FrameType::Reverse, text("olleh")), stats, bye}))
                       .op(kWait).bytes()});
  {
    ActionWriter split = start();
    Bytes all = concat({hello(1, "bytewise"), echoHi, stats});
    for (std::uint8_t byte : all) split.write(Bytes{byte});
    seeds.push_back({prefix + "one-byte-writes", split.op(kWait).bytes()});
  }
  seeds.push_back({prefix + "requests-then-shutdown",
                   start().write(concat({hello(), echoHi})).op(kShutdown).op(kWait).bytes()});
  seeds.push_back({prefix + "handshake-required", start().write(echoHi).op(kWait).bytes()});
  seeds.push_back({prefix + "unsupported-version", start().write(hello(2)).op(kWait).bytes()});
  seeds.push_back({prefix + "too-large", start().write(concat({hello(), header(0x10, 0, 70000)})).op(kWait).bytes()});
  seeds.push_back({prefix + "reserved-flags", start().write(concat({hello(), header(0x10, 1, 0)})).bytes()});
  seeds.push_back({prefix + "unknown-type", start().write(concat({hello(), header(0x55, 0, 0)})).bytes()});
  seeds.push_back({prefix + "server-only-type", start().write(concat({hello(), frame(FrameType::Welcome,
                                                                                      Bytes{1, 0, 1, 0, 0})})).bytes()});
  seeds.push_back({prefix + "stats-with-payload", start().write(concat({hello(), frame(FrameType::Stats,
                                                                                        text("x"))})).bytes()});
  seeds.push_back({prefix + "hello-without-version", start().write(frame(FrameType::Hello)).bytes()});
  seeds.push_back({prefix + "hello-name-too-long", start().write(hello(1, std::string(65, 'n'))).bytes()});
  seeds.push_back({prefix + "hello-name-longest", start().write(hello(1, std::string(64, 'n'))).op(kWait).bytes()});
  seeds.push_back({prefix + "second-hello", start().write(hello()).op(kWait).write(hello()).op(kWait).bytes()});
  seeds.push_back({prefix + "requests-after-error",
                   start().write(concat({echoHi, hello(), echoHi})).op(kWait).write(stats).bytes()});
  seeds.push_back({prefix + "partial-frame-then-shutdown",
                   start().write(hello()).write(header(0x10, 0, 40)).write(text("only part")).op(kShutdown).bytes()});
  seeds.push_back({prefix + "largest-length-then-shutdown",
                   start().write(concat({hello(), header(0x10, 0, proto::kDefaultMaxPayload)})).op(kShutdown).bytes()});
  seeds.push_back({prefix + "partial-frame-then-abort",
                   start().write(hello()).write(header(0x12, 0, 40)).write(text("part")).op(kAbort).bytes()});
  seeds.push_back({prefix + "close-with-replies-unread",
                   start().write(concat({hello(), echoHi, echoHi})).op(kClose).bytes()});
  seeds.push_back({prefix + "256KiB-of-echo-requests-then-bye",
                   start().write(hello()).writeRepeated(frame(FrameType::Echo, Bytes(980, 0x33)), 256)
                       .write(bye).bytes()});
  seeds.push_back({prefix + "small-sndbuf-pipelined-echoes",
                   ActionWriter().streamSetup(family, StreamService::Framed, /*smallServerSendBuffer=*/true)
                       .write(hello()).writeRepeated(frame(FrameType::Echo, Bytes(500, 0x44)), 64).write(bye)
                       .op(kWait).bytes()});
  seeds.push_back({prefix + "abort-before-anything", start().op(kAbort).bytes()});
  seeds.push_back({prefix + "nothing-sent", start().bytes()});
  seeds.push_back({prefix + "echo-1000-bytes",
                   start().write(concat({hello(), frame(FrameType::Echo, Bytes(1000, 0x5a))})).op(kWait).bytes()});
}

void addEchoSeeds(std::vector<Seed>& seeds, StreamFamily family) {
  std::string prefix = family == StreamFamily::Tcp ? "echo-tcp-" : "echo-unix-";
  auto start = [&] { return ActionWriter().streamSetup(family, StreamService::Echo); };
  seeds.push_back({prefix + "hello", start().write(text("hello\r\n")).op(kWait).bytes()});
  seeds.push_back({prefix + "writes-then-shutdown",
                   start().write(text("one ")).write(text("two ")).write(text("three")).op(kShutdown).op(kWait).bytes()});
  seeds.push_back({prefix + "write-then-abort", start().write(text("lost")).op(kAbort).bytes()});
  seeds.push_back({prefix + "write-then-close", start().write(text("unread")).op(kClose).bytes()});
  seeds.push_back({prefix + "shutdown-at-once", start().op(kShutdown).bytes()});
  // 256 KiB without reading, then half-close: more than the socket buffers hold, so the server queues replies,
  // stops reading (flow control) and must still send every byte after the client's EOF.
  seeds.push_back({prefix + "256KiB-then-shutdown",
                   start().writeRepeated(Bytes(1000, 0x3c), 256).op(kShutdown).op(kWait).bytes()});
  // A small server send buffer: it fills after a few KiB, so the server queues its echo and must still send
  // all of it after the client's EOF.
  seeds.push_back({prefix + "small-sndbuf-64KiB-then-shutdown",
                   ActionWriter().streamSetup(family, StreamService::Echo, /*smallServerSendBuffer=*/true)
                       .writeRepeated(Bytes(256, 0x7e), 256).op(kShutdown).op(kWait).bytes()});
  seeds.push_back({prefix + "900-bytes", start().write(Bytes(900, 0xa5)).op(kWait).write(text("more")).bytes()});
}

void addDatagramSeeds(std::vector<Seed>& seeds) {
  auto start = [](DatagramService service) { return ActionWriter().datagramSetup(service); };
  for (auto [service, name] : {std::pair{DatagramService::EchoUdp, "echo-udp"},
                               std::pair{DatagramService::EchoUnix, "echo-unix"}}) {
    std::string prefix = std::string(name) + "-";
    seeds.push_back({prefix + "one", start(service).send(5, text("hello")).op(kDatagramWait).bytes()});
    seeds.push_back({prefix + "several",
                     start(service).send(3, text("one")).send(3, text("two")).send(5, text("three"))
                         .op(kDatagramWait).send(1, text("4")).bytes()});
    seeds.push_back({prefix + "empty", start(service).send(0, {}).op(kDatagramWait).bytes()});
    seeds.push_back({prefix + "largest", start(service).send(kMaxDatagramSize, text("0123456789abcdef")).bytes()});
    seeds.push_back({prefix + "large-then-small",
                     start(service).send(40000, text("L")).send(2, text("ok")).op(kDatagramWait).bytes()});
    seeds.push_back({prefix + "close-with-replies-unread",
                     start(service).send(4, text("gone")).send(4, text("lost")).op(kDatagramClose).bytes()});
  }
  seeds.push_back({"chargen-udp-three",
                   start(DatagramService::ChargenUdp).send(1, text("a")).send(0, {}).send(9, text("ignored"))
                       .op(kDatagramWait).bytes()});
  seeds.push_back({"daytime-udp-two",
                   start(DatagramService::DaytimeUdp).send(1, text("?")).op(kDatagramWait).send(0, {}).bytes()});
  seeds.push_back({"discard-udp-two",
                   start(DatagramService::DiscardUdp).send(7, text("discard")).send(3000, text("x")).bytes()});
}

bool writeSeeds(const std::filesystem::path& folder, const std::vector<Seed>& seeds) {
  std::error_code error;
  std::filesystem::create_directories(folder, error);
  if (error) {
    std::fprintf(stderr, "make_server_seeds: %s: %s\n", folder.c_str(), error.message().c_str());
    return false;
  }
  for (const auto& seed : seeds) {
    auto path = folder / (seed.name + ".seed");
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(seed.bytes.data()), static_cast<std::streamsize>(seed.bytes.size()));
    if (!out) {
      std::fprintf(stderr, "make_server_seeds: %s: cannot write: %s\n", path.c_str(), std::strerror(errno));
      return false;
    }
  }
  std::printf("%zu seeds in %s\n", seeds.size(), folder.c_str());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Writes the seed corpora of the server_stream and server_datagram fuzzers"};
  std::string out = "corpus";
  app.add_option("--out", out, "the corpus folder (seeds go to OUT/server_stream and OUT/server_datagram)")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? kExitOk : kExitUsage;
  }

  std::vector<Seed> stream;
  for (auto family : {StreamFamily::Tcp, StreamFamily::Unix}) {
    addFramedSeeds(stream, family);
    addEchoSeeds(stream, family);
  }
  std::vector<Seed> datagram;
  addDatagramSeeds(datagram);
  std::filesystem::path root(out);
  if (!writeSeeds(root / "server_stream", stream) || !writeSeeds(root / "server_datagram", datagram)) {
    return kExitInternal;
  }
  return kExitOk;
}
