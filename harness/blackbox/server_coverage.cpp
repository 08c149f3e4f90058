#include "blackbox/server_coverage.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <ctime>

#include <algorithm>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "base/deadline.h"
#include "base/sys_error.h"

namespace sockspec::blackbox {

Expected<ServerCoverage, std::string> ServerCoverage::create() {
  int fd = ::memfd_create("sockspec-coverage", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return Unexpected{"coverage region: " + SysError{errno, "memfd_create"}.describe()};
  auto fail = [fd](std::string_view call) {
    std::string message = "coverage region: " + SysError{errno, call}.describe();
    ::close(fd);
    return Unexpected{message};
  };
  if (::ftruncate(fd, static_cast<off_t>(SOCKSPEC_COVERAGE_MAP_BYTES)) != 0) return fail("ftruncate");
  // Sealed: the server's runtime maps it only so (a region that could shrink could fault it with SIGBUS).
  if (::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) return fail("fcntl(F_ADD_SEALS)");
  void* mapped = ::mmap(nullptr, SOCKSPEC_COVERAGE_MAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (mapped == MAP_FAILED) return fail("mmap");
  ServerCoverage coverage(fd, mapped);
  sockspec_coverage_header* header = coverage.header();
  header->magic = SOCKSPEC_COVERAGE_MAGIC;
  header->version = SOCKSPEC_COVERAGE_VERSION;
  header->header_bytes = sizeof(sockspec_coverage_header);
  header->edge_slots = SOCKSPEC_COVERAGE_EDGE_SLOTS;
  header->cmp_slots = SOCKSPEC_COVERAGE_CMP_SLOTS;
  return coverage;
}

ServerCoverage::ServerCoverage(ServerCoverage&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)),
      m_mapped(std::exchange(other.m_mapped, nullptr)),
      m_cmpRead(other.m_cmpRead),
      m_seen(std::move(other.m_seen)),
      m_seenCount(other.m_seenCount),
      m_missedPid(other.m_missedPid),
      m_missed(other.m_missed) {}

ServerCoverage& ServerCoverage::operator=(ServerCoverage&& other) noexcept {
  if (this != &other) {
    if (m_mapped != nullptr) ::munmap(m_mapped, SOCKSPEC_COVERAGE_MAP_BYTES);
    if (m_fd >= 0) ::close(m_fd);
    m_fd = std::exchange(other.m_fd, -1);
    m_mapped = std::exchange(other.m_mapped, nullptr);
    m_cmpRead = other.m_cmpRead;
    m_seen = std::move(other.m_seen);
    m_seenCount = other.m_seenCount;
    m_missedPid = other.m_missedPid;
    m_missed = other.m_missed;
  }
  return *this;
}

ServerCoverage::~ServerCoverage() {
  if (m_mapped != nullptr) ::munmap(m_mapped, SOCKSPEC_COVERAGE_MAP_BYTES);
  if (m_fd >= 0) ::close(m_fd);
}

std::string ServerCoverage::path() const { return fmt::format("/proc/{}/fd/{}", ::getpid(), m_fd); }

std::uint8_t* ServerCoverage::edges() const {
  return static_cast<std::uint8_t*>(m_mapped) + SOCKSPEC_COVERAGE_EDGES_OFFSET;
}

const sockspec_cmp_entry* ServerCoverage::comparisons() const {
  return reinterpret_cast<const sockspec_cmp_entry*>(static_cast<std::uint8_t*>(m_mapped) +
                                                     SOCKSPEC_COVERAGE_CMPS_OFFSET);
}

std::uint32_t ServerCoverage::edgesInBinary() const {
  return __atomic_load_n(&header()->edges_in_binary, __ATOMIC_RELAXED);
}

std::uint32_t ServerCoverage::attachedPid() const {
  return __atomic_load_n(&header()->attached_pid, __ATOMIC_RELAXED);
}

bool ServerCoverage::inlineCounters() const {
  return __atomic_load_n(&header()->inline_counters, __ATOMIC_ACQUIRE) != 0;
}

namespace {

// Shared futexes (no FUTEX_PRIVATE_FLAG): the words are in the memfd the server maps too.
long futex(std::uint32_t* word, int op, std::uint32_t value, const timespec* timeout) {
  return ::syscall(SYS_futex, word, op, value, timeout, nullptr, 0);
}

}  // namespace

bool ServerCoverage::flushInlineCounters() {
  sockspec_coverage_header* h = header();
  std::uint32_t pid = attachedPid();
  if (m_missedPid != pid) {
    m_missedPid = pid;
    m_missed = 0;
  }
  if (m_missed >= kFlushMisses) return false;
  std::uint32_t request = __atomic_add_fetch(&h->flush_request, 1u, __ATOMIC_SEQ_CST);
  futex(&h->flush_request, FUTEX_WAKE, INT_MAX, nullptr);
  Deadline deadline = Deadline::after(kFlushWait);
  for (;;) {  // bounded by the deadline
    std::uint32_t done = __atomic_load_n(&h->flush_done, __ATOMIC_ACQUIRE);
    if (static_cast<std::int32_t>(done - request) >= 0) {
      m_missed = 0;
      return true;
    }
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.when() - Deadline::Clock::now());
    if (left.count() <= 0) break;
    timespec timeout{static_cast<time_t>(left.count() / 1'000'000'000),
                     static_cast<long>(left.count() % 1'000'000'000)};
    futex(&h->flush_done, FUTEX_WAIT, done, &timeout);  // returns at once if flush_done moved meanwhile
  }
  ++m_missed;
  return false;
}

void ServerCoverage::clear() {
  if (inlineCounters()) (void)flushInlineCounters();  // the counts since the last take are not this input's
  std::memset(edges(), 0, kEdgeSlots);
  m_cmpRead = __atomic_load_n(&header()->cmp_next, __ATOMIC_ACQUIRE);
}

void ServerCoverage::takeEdges(std::span<std::uint8_t> counters) {
  if (inlineCounters()) (void)flushInlineCounters();
  std::uint8_t* counted = edges();
  // Most slots are zero in any one input: skip them 64 bytes at a time (memcpy: the aliasing-safe load).
  constexpr std::size_t kWords = 8;
  constexpr std::size_t kChunk = kWords * sizeof(std::uint64_t);
  static_assert(kEdgeSlots % kChunk == 0);
  std::size_t slots = std::min(counters.size(), kEdgeSlots) / kChunk * kChunk;
  for (std::size_t base = 0; base < slots; base += kChunk) {
    std::uint64_t words[kWords];
    std::memcpy(words, counted + base, kChunk);
    std::uint64_t any = 0;
    for (std::uint64_t word : words) any |= word;
    if (any == 0) continue;
    std::memset(counted + base, 0, kChunk);
    for (std::size_t i = base; i < base + kChunk; ++i) {
      std::uint8_t count = reinterpret_cast<const std::uint8_t*>(words)[i - base];
      if (count == 0) continue;
      counters[i] = static_cast<std::uint8_t>(std::min(255, counters[i] + count));
      if (!m_seen[i]) {
        m_seen[i] = true;
        ++m_seenCount;
      }
    }
  }
}

std::vector<ServerComparison> ServerCoverage::takeComparisons() {
  std::uint32_t next = __atomic_load_n(&header()->cmp_next, __ATOMIC_ACQUIRE);
  std::uint32_t written = next - m_cmpRead;  // wraps with the counter
  m_cmpRead = next;
  std::uint32_t count = std::min<std::uint32_t>({written, SOCKSPEC_COVERAGE_CMP_SLOTS,
                                                 static_cast<std::uint32_t>(kComparisonsPerInput)});
  std::vector<ServerComparison> taken;
  taken.reserve(count);
  for (std::uint32_t i = next - count; i != next; ++i) {
    const sockspec_cmp_entry& entry = comparisons()[i & (SOCKSPEC_COVERAGE_CMP_SLOTS - 1)];
    // The runtime writes the fields, then the kind: a torn entry is noise, never out of bounds.
    std::uint32_t kind = __atomic_load_n(&entry.kind, __ATOMIC_ACQUIRE);
    std::uint32_t size = std::min<std::uint32_t>(entry.size, SOCKSPEC_COVERAGE_CMP_BYTES);
    if (kind == SOCKSPEC_CMP_INTEGER && (size == 2 || size == 4 || size == 8)) {
      taken.push_back({false, size, entry.site, entry.arg1, entry.arg2, {}, {}});
    } else if (kind == SOCKSPEC_CMP_BYTES && size >= 2) {
      taken.push_back({true, size, entry.site, 0, 0, {entry.bytes1, entry.bytes1 + size},
                       {entry.bytes2, entry.bytes2 + size}});
    }
  }
  return taken;
}

}  // namespace sockspec::blackbox
