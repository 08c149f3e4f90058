// The coverage runtime (targets/coverage/) inside the instrumented grey-box victim
// (tests/support/greybox_victim.c), built with trace-pc-guard and with -fsanitize=fuzzer-no-link
// (inline-8bit-counters, which its flusher thread hands over): with the region sockspec makes
// (blackbox/server_coverage.h) it records the server's edges and the bytes of its failed comparisons; with
// no region, or one it cannot trust (missing, a folder, a FIFO, /dev/zero, a regular file, a memfd that is
// short, unsealed, or sealed with a wrong header), it records nothing and starts no thread, and the server
// serves the same conversation the same way and ends on SIGTERM as it always does (not with SIGBUS or
// SIGSEGV).
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <cstring>
#include <functional>
#include <optional>
#include <string>

#include "base/coverage_map_layout.h"
#include "base/deadline.h"
#include "base/display_escape.h"
#include "blackbox/server_coverage.h"
#include "net/endpoint.h"
#include "process/child_process.h"
#include "process/process_activity.h"
#include "support/built_programs.h"
#include "support/live_sockets.h"
#include "support/test_files.h"

using namespace sockspec;
using namespace sockspec::testing;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kConversation = "HELLO a\nKEY Zq7!k#2v\nRUN ok\nKEY nope1234\n";
constexpr std::string_view kReplies = "+HI\n+OPEN\n+RAN\n-NO\n";

// The threads of process `pid` (/proc/PID/task).
std::size_t threadsOf(pid_t pid) {
  std::size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    (void)entry;
    ++count;
  }
  return count;
}

// Whether every thread of `pid` is in `state` (/proc/PID/task/TID/stat's third field: S sleeping, T stopped),
// waiting up to 5 s for it.
bool allThreadsReach(pid_t pid, char state) {
  std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  auto deadline = Deadline::after(5s);
  for (;;) {  // bounded by the deadline
    bool all = true;
    for (const auto& entry : std::filesystem::directory_iterator(tasks)) {
      std::string stat = readFileOrFail(entry.path().string() + "/stat");
      auto close = stat.rfind(')');
      all = all && close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == state;
    }
    if (all) return true;
    if (deadline.expired()) return false;
    ::usleep(1000);
  }
}

// Runs `victim` with SOCKSPEC_COVERAGE_MAP as given (nullopt: unset), has it answer the conversation, calls
// `whileServing` (the server still running), and stops it: it must have answered exactly so and end by the
// SIGTERM. Without `whileServing` it must have run on its one thread.
void serveOnce(const std::optional<std::string>& region, const std::string& victim = SOCKSPEC_GREYBOX_VICTIM,
               const std::function<void(process::ChildProcess&)>& whileServing = {}) {
  if (region) {
    REQUIRE(::setenv(SOCKSPEC_COVERAGE_ENV, region->c_str(), 1) == 0);
  } else {
    REQUIRE(::unsetenv(SOCKSPEC_COVERAGE_ENV) == 0);
  }
  process::SpawnOptions options;
  options.captureStderr = true;
  auto child = process::ChildProcess::spawn({victim, "--port", "0"}, options);
  ::unsetenv(SOCKSPEC_COVERAGE_ENV);
  REQUIRE(child);
  auto line = child->readLine(Deadline::after(10s));
  constexpr std::string_view kPrefix = "listening on 127.0.0.1:";
  REQUIRE(line);
  REQUIRE(line->starts_with(kPrefix));
  auto endpoint = net::parseEndpoint("tcp://127.0.0.1:" + line->substr(kPrefix.size()));
  REQUIRE(endpoint);
  {
    auto fd = connectOrFail(*endpoint, Deadline::after(5s));
    ExchangeOptions exchangeOptions;
    exchangeOptions.stopAfter = kReplies.size();
    auto replies = exchange(fd.get(), kConversation, Deadline::after(5s), exchangeOptions);
    CHECK(escapeForDisplay(replies.bytes) == escapeForDisplay(kReplies));
  }
  if (whileServing) {
    whileServing(*child);
  } else {
    CHECK(threadsOf(child->pid()) == 1);
  }
  child->signal(SIGTERM);
  auto status = child->wait(Deadline::after(5s));
  REQUIRE(status);
  INFO(status->describe() << "; stderr: " << escapeForDisplay(child->readAllStderr(Deadline::after(200ms))));
  CHECK(status->signal == SIGTERM);
}

// Takes the region's edges into fresh counters: how many slots were hit.
std::size_t takeHits(blackbox::ServerCoverage& coverage) {
  std::vector<std::uint8_t> edges(blackbox::ServerCoverage::kEdgeSlots);
  coverage.takeEdges(edges);
  return static_cast<std::size_t>(std::count_if(edges.begin(), edges.end(), [](auto count) { return count != 0; }));
}

// Whether the comparisons hold "KEY nope1234"'s failed first half: its bytes and the key's, as memcmp saw them.
bool keyComparisonSeen(blackbox::ServerCoverage& coverage) {
  for (const auto& comparison : coverage.takeComparisons()) {
    if (comparison.bytes && comparison.bytes1 == std::vector<std::uint8_t>{'n', 'o', 'p', 'e'} &&
        comparison.bytes2 == std::vector<std::uint8_t>{'Z', 'q', '7', '!'})
      return true;
  }
  return false;
}

std::string procPath(int fd) { return "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(fd); }

// A memfd of `size` bytes with a valid header (then `spoil` may change it), sealed or not. Owned by the test.
struct Memfd {
  int fd = -1;
  void* mapped = nullptr;
  std::size_t size = 0;
  Memfd(std::size_t bytes, bool sealed, const std::function<void(sockspec_coverage_header&)>& spoil) : size(bytes) {
    fd = ::memfd_create("coverage-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, static_cast<off_t>(size)) == 0);
    mapped = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    REQUIRE(mapped != MAP_FAILED);
    if (size >= sizeof(sockspec_coverage_header)) {
      auto& header = *static_cast<sockspec_coverage_header*>(mapped);
      header = {SOCKSPEC_COVERAGE_MAGIC, SOCKSPEC_COVERAGE_VERSION, sizeof(sockspec_coverage_header),
                SOCKSPEC_COVERAGE_EDGE_SLOTS, SOCKSPEC_COVERAGE_CMP_SLOTS, 0, 0, 0, 0, 0, 0, {}};
      spoil(header);
    }
    if (sealed) REQUIRE(::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) == 0);
  }
  ~Memfd() {
    ::munmap(mapped, size);
    ::close(fd);
  }
  bool untouched() const {
    if (size < sizeof(sockspec_coverage_header)) return true;
    const auto& header = *static_cast<const sockspec_coverage_header*>(mapped);
    return header.edges_in_binary == 0 && header.attached_pid == 0 && header.cmp_next == 0;
  }
};

}  // namespace

TEST_CASE("the coverage runtime records the server's edges and failed comparisons in sockspec's region",
          "[live][coverage]") {
  auto coverage = blackbox::ServerCoverage::create();
  REQUIRE(coverage);
  serveOnce(coverage->path());
  CHECK(coverage->edgesInBinary() > 10);
  CHECK_FALSE(coverage->inlineCounters());  // trace-pc-guard writes the region itself: no thread, no flushes
  std::size_t hit = takeHits(*coverage);
  CHECK(hit > 10);
  CHECK(coverage->edgesSeen() == hit);
  CHECK(takeHits(*coverage) == 0);  // taken means cleared
  CHECK(keyComparisonSeen(*coverage));
  // The region cannot shrink under the server's mapping.
  CHECK(::ftruncate(std::stoi(coverage->path().substr(coverage->path().rfind('/') + 1)), 16) != 0);
}

TEST_CASE("a server built with -fsanitize=fuzzer-no-link hands its inline counters over when asked",
          "[live][coverage]") {
  auto coverage = blackbox::ServerCoverage::create();
  REQUIRE(coverage);
  serveOnce(coverage->path(), SOCKSPEC_GREYBOX_VICTIM_INLINE, [&](process::ChildProcess& server) {
    CHECK(coverage->edgesInBinary() > 10);
    REQUIRE(coverage->inlineCounters());
    CHECK(threadsOf(server.pid()) == 2);  // the server's, and the runtime's flusher
    // Once every thread sleeps (the server in poll(2) for more, the flusher on its futex), nothing runs.
    REQUIRE(allThreadsReach(server.pid(), 'S'));
    // Reply ends leave the flusher out (process_activity.h): woken by sockspec, its timeslices would pass for
    // the server's answer. The server's own thread sleeps through the flushes below.
    process::ActivityWatch watch(server.pid());
    auto before = watch.read(true);
    CHECK(before.atRest);
    CHECK(takeHits(*coverage) > 10);  // a take flushes first
    // Flushed means zeroed in the server: with nothing run since, a second take finds nothing.
    CHECK(takeHits(*coverage) == 0);
    CHECK(keyComparisonSeen(*coverage));
    auto after = watch.read(true);
    CHECK(after.atRest);
    CHECK(after.timeslices == before.timeslices);
    // A stopped server cannot answer: each request waits kFlushWait, and after kFlushMisses in a row that
    // process is not asked again (a server that forked away from its flusher would cost every input that).
    server.signal(SIGSTOP);
    REQUIRE(allThreadsReach(server.pid(), 'T'));
    for (unsigned miss = 0; miss < blackbox::ServerCoverage::kFlushMisses; ++miss) {
      auto start = std::chrono::steady_clock::now();
      CHECK_FALSE(coverage->flushInlineCounters());
      auto waited = std::chrono::steady_clock::now() - start;
      CHECK(waited >= blackbox::ServerCoverage::kFlushWait);
      CHECK(waited < blackbox::ServerCoverage::kFlushWait + 5s);
    }
    CHECK(coverage->flushesMissed());
    auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(coverage->flushInlineCounters());
    CHECK(std::chrono::steady_clock::now() - start < blackbox::ServerCoverage::kFlushWait);
    server.signal(SIGCONT);
  });
}

TEST_CASE("the coverage runtime leaves a server without a region, or with one it cannot trust, as it was",
          "[live][coverage]") {
  // Both builds: trace-pc-guard, and -fsanitize=fuzzer-no-link (whose flusher thread must not start).
  std::string victim = GENERATE(as<std::string>{}, SOCKSPEC_GREYBOX_VICTIM, SOCKSPEC_GREYBOX_VICTIM_INLINE);
  INFO("victim: " << victim);
  SECTION("no SOCKSPEC_COVERAGE_MAP") { serveOnce(std::nullopt, victim); }
  SECTION("an empty one") { serveOnce("", victim); }
  SECTION("a missing file") { serveOnce("/nonexistent/sockspec-coverage", victim); }
  SECTION("a folder") { serveOnce("/tmp", victim); }
  SECTION("/dev/zero") { serveOnce("/dev/zero", victim); }
  SECTION("a FIFO") {
    std::string fifo = tempFilePath("coverage-fifo");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    serveOnce(fifo, victim);
  }
  SECTION("a regular file of the right size and header, which could shrink under the mapping") {
    std::string file = tempFilePath("coverage-file");
    sockspec_coverage_header header{SOCKSPEC_COVERAGE_MAGIC, SOCKSPEC_COVERAGE_VERSION,
                                    sizeof(sockspec_coverage_header), SOCKSPEC_COVERAGE_EDGE_SLOTS,
                                    SOCKSPEC_COVERAGE_CMP_SLOTS, 0, 0, 0, 0, 0, 0, {}};
    std::string bytes(SOCKSPEC_COVERAGE_MAP_BYTES, '\0');
    std::memcpy(bytes.data(), &header, sizeof header);
    writeFileOrFail(file, bytes);
    serveOnce(file, victim);
    CHECK(readFileOrFail(file) == bytes);
  }
  SECTION("an unsealed memfd") {
    Memfd region(SOCKSPEC_COVERAGE_MAP_BYTES, false, [](auto&) {});
    serveOnce(procPath(region.fd), victim);
    CHECK(region.untouched());
  }
  SECTION("a sealed memfd too short") {
    Memfd region(100, true, [](auto&) {});
    serveOnce(procPath(region.fd), victim);
    CHECK(region.untouched());
  }
  SECTION("a sealed memfd too long") {
    Memfd region(SOCKSPEC_COVERAGE_MAP_BYTES + 4096, true, [](auto&) {});
    serveOnce(procPath(region.fd), victim);
    CHECK(region.untouched());
  }
  SECTION("a wrong magic") {
    Memfd region(SOCKSPEC_COVERAGE_MAP_BYTES, true, [](auto& header) { header.magic ^= 1; });
    serveOnce(procPath(region.fd), victim);
    CHECK(region.untouched());
  }
  SECTION("another version") {
    Memfd region(SOCKSPEC_COVERAGE_MAP_BYTES, true, [](auto& header) { header.version = 99; });
    serveOnce(procPath(region.fd), victim);
    CHECK(region.untouched());
  }
  SECTION("hostile sizes in the header") {
    Memfd region(SOCKSPEC_COVERAGE_MAP_BYTES, true, [](auto& header) {
      header.edge_slots = 0xffffffffu;
      header.cmp_slots = 0x80000000u;
    });
    serveOnce(procPath(region.fd), victim);
    CHECK(region.untouched());
  }
}
