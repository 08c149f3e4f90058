#include "blackbox/server_coverage.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include <fmt/format.h>

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
      m_seenCount(other.m_seenCount) {}

ServerCoverage& ServerCoverage::operator=(ServerCoverage&& other) noexcept {
  if (this != &other) {
    if (m_mapped != nullptr) ::munmap(m_mapped, SOCKSPEC_COVERAGE_MAP_BYTES);
    if (m_fd >= 0) ::close(m_fd);
    m_fd = std::exchange(other.m_fd, -1);
    m_mapped = std::exchange(other.m_mapped, nullptr);
    m_cmpRead = other.m_cmpRead;
    m_seen = std::move(other.m_seen);
    m_seenCount = other.m_seenCount;
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

void ServerCoverage::clear() {
  std::memset(edges(), 0, kEdgeSlots);
  m_cmpRead = __atomic_load_n(&header()->cmp_next, __ATOMIC_ACQUIRE);
}

std::size_t ServerCoverage::takeEdges(std::span<std::uint8_t> counters) {
  std::uint8_t* counted = edges();
  std::size_t fresh = 0;
  std::size_t slots = std::min(counters.size(), kEdgeSlots);
  for (std::size_t i = 0; i < slots; ++i) {
    std::uint8_t count = counted[i];
    if (count == 0) continue;
    counted[i] = 0;
    counters[i] = static_cast<std::uint8_t>(std::min(255, counters[i] + count));
    if (!m_seen[i]) {
      m_seen[i] = true;
      ++m_seenCount;
      ++fresh;
    }
  }
  return fresh;
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
