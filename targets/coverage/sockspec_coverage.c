/* The coverage runtime of grey-box fuzzing (docs/grey-box.md): linked into a server built with clang's
 * SanitizerCoverage (-fsanitize-coverage=trace-pc-guard, optionally trace-cmp), it records the server's
 * edges, and the operands of its failed comparisons, into the region `sockspec fuzz` names in
 * SOCKSPEC_COVERAGE_MAP (base/coverage_map_layout.h). Without that variable, or with a region it cannot
 * trust (missing, not a memfd sealed against shrinking, of another size, another header), it records
 * nothing and the server runs as before: each callback costs a load and a branch.
 *
 * Plain C with no dependency beyond libc, so that it links into any server; none of its own code is
 * instrumented (SOCKSPEC_NO_COVERAGE: a callback that called an instrumented helper would recurse).
 * The SanitizerCoverage callbacks and their contracts: clang's SanitizerCoverage documentation and
 * compiler-rt's sanitizer_coverage_interface.inc; the memcmp hooks are the ones sanitizers' interceptors
 * call (sanitizer_common_interceptors.inc, CALL_WEAK_INTERCEPTOR_HOOK). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/coverage_map_layout.h"
#include "no_coverage.h"

#define SOCKSPEC_EXPORT SOCKSPEC_NO_COVERAGE

static struct sockspec_coverage_header* g_header; /* NULL: nothing is recorded */
static uint8_t* g_edges;
static struct sockspec_cmp_entry* g_cmps;
static uint32_t g_guards; /* guards numbered so far, over every module */
static int g_attach_tried;

/* Maps the region named in the environment when it can be trusted; leaves g_header NULL otherwise. */
SOCKSPEC_NO_COVERAGE static void attach(void) {
  if (g_attach_tried) return;
  g_attach_tried = 1;
  const char* path = getenv(SOCKSPEC_COVERAGE_ENV);
  if (path == NULL || path[0] == '\0') return;
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return;
  struct stat status;
  /* A memfd that can never shrink: a mapping of it cannot fault (SIGBUS) however the other side behaves. */
  int seals = fcntl(fd, F_GET_SEALS);
  if (fstat(fd, &status) != 0 || !S_ISREG(status.st_mode) || (uint64_t)status.st_size != SOCKSPEC_COVERAGE_MAP_BYTES ||
      seals < 0 || (seals & F_SEAL_SHRINK) == 0) {
    close(fd);
    return;
  }
  void* mapped = mmap(NULL, (size_t)SOCKSPEC_COVERAGE_MAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (mapped == MAP_FAILED) return;
  struct sockspec_coverage_header* header = (struct sockspec_coverage_header*)mapped;
  if (header->magic != SOCKSPEC_COVERAGE_MAGIC || header->version != SOCKSPEC_COVERAGE_VERSION ||
      header->header_bytes != sizeof(struct sockspec_coverage_header) ||
      header->edge_slots != SOCKSPEC_COVERAGE_EDGE_SLOTS || header->cmp_slots != SOCKSPEC_COVERAGE_CMP_SLOTS) {
    munmap(mapped, (size_t)SOCKSPEC_COVERAGE_MAP_BYTES);
    return;
  }
  __atomic_store_n(&header->attached_pid, (uint32_t)getpid(), __ATOMIC_RELAXED);
  g_edges = (uint8_t*)mapped + SOCKSPEC_COVERAGE_EDGES_OFFSET;
  g_cmps = (struct sockspec_cmp_entry*)((uint8_t*)mapped + SOCKSPEC_COVERAGE_CMPS_OFFSET);
  __atomic_store_n(&g_header, header, __ATOMIC_RELEASE);
}

/* Called by each instrumented module's constructor, before main(): numbers its guards from 1 on (0 would
 * turn an edge off). A module seen before (its first guard already numbered) is left as it is. */
SOCKSPEC_EXPORT void __sanitizer_cov_trace_pc_guard_init(uint32_t* start, uint32_t* stop) {
  if (start == stop || *start != 0) return;
  attach();
  for (uint32_t* guard = start; guard < stop; ++guard) *guard = ++g_guards;
  if (g_header != NULL) __atomic_store_n(&g_header->edges_in_binary, g_guards, __ATOMIC_RELAXED);
}

SOCKSPEC_EXPORT void __sanitizer_cov_trace_pc_guard(uint32_t* guard) {
  uint8_t* edges = g_edges;
  if (edges == NULL) return;
  /* Threads may race on a counter: a lost increment is a count off by one, never a wrong edge. */
  uint8_t* counter = &edges[*guard & (SOCKSPEC_COVERAGE_EDGE_SLOTS - 1u)];
  if (*counter != 255) ++*counter;
}

SOCKSPEC_NO_COVERAGE static struct sockspec_cmp_entry* next_entry(void) {
  uint32_t at = __atomic_fetch_add(&g_header->cmp_next, 1u, __ATOMIC_RELAXED);
  return &g_cmps[at & (SOCKSPEC_COVERAGE_CMP_SLOTS - 1u)];
}

/* Only comparisons that failed: an equal pair teaches the mutator nothing. */
SOCKSPEC_NO_COVERAGE static void record_integers(const void* site, uint16_t size, uint64_t arg1, uint64_t arg2) {
  if (g_header == NULL || arg1 == arg2) return;
  struct sockspec_cmp_entry* entry = next_entry();
  entry->size = size;
  entry->site = (uint32_t)(uintptr_t)site;
  entry->arg1 = arg1;
  entry->arg2 = arg2;
  __atomic_store_n(&entry->kind, (uint16_t)SOCKSPEC_CMP_INTEGER, __ATOMIC_RELEASE);
}

SOCKSPEC_NO_COVERAGE static void record_bytes(const void* site, const void* s1, const void* s2, size_t n) {
  if (g_header == NULL || n < 2) return;
  if (n > SOCKSPEC_COVERAGE_CMP_BYTES) n = SOCKSPEC_COVERAGE_CMP_BYTES;
  struct sockspec_cmp_entry* entry = next_entry();
  entry->size = (uint16_t)n;
  entry->site = (uint32_t)(uintptr_t)site;
  const uint8_t* a = (const uint8_t*)s1;
  const uint8_t* b = (const uint8_t*)s2;
  for (size_t i = 0; i < n; ++i) {
    entry->bytes1[i] = a[i];
    entry->bytes2[i] = b[i];
  }
  __atomic_store_n(&entry->kind, (uint16_t)SOCKSPEC_CMP_BYTES, __ATOMIC_RELEASE);
}

/* trace-cmp: one-byte comparisons are left to the mutator, which tries every byte value anyway. */
SOCKSPEC_EXPORT void __sanitizer_cov_trace_cmp1(uint8_t arg1, uint8_t arg2) { (void)arg1, (void)arg2; }
SOCKSPEC_EXPORT void __sanitizer_cov_trace_const_cmp1(uint8_t arg1, uint8_t arg2) { (void)arg1, (void)arg2; }
SOCKSPEC_EXPORT void __sanitizer_cov_trace_cmp2(uint16_t arg1, uint16_t arg2) {
  record_integers(__builtin_return_address(0), 2, arg1, arg2);
}
SOCKSPEC_EXPORT void __sanitizer_cov_trace_const_cmp2(uint16_t arg1, uint16_t arg2) {
  record_integers(__builtin_return_address(0), 2, arg1, arg2);
}
SOCKSPEC_EXPORT void __sanitizer_cov_trace_cmp4(uint32_t arg1, uint32_t arg2) {
  record_integers(__builtin_return_address(0), 4, arg1, arg2);
}
SOCKSPEC_EXPORT void __sanitizer_cov_trace_const_cmp4(uint32_t arg1, uint32_t arg2) {
  record_integers(__builtin_return_address(0), 4, arg1, arg2);
}
SOCKSPEC_EXPORT void __sanitizer_cov_trace_cmp8(uint64_t arg1, uint64_t arg2) {
  record_integers(__builtin_return_address(0), 8, arg1, arg2);
}
SOCKSPEC_EXPORT void __sanitizer_cov_trace_const_cmp8(uint64_t arg1, uint64_t arg2) {
  record_integers(__builtin_return_address(0), 8, arg1, arg2);
}

/* cases[0]: how many cases; cases[1]: the operand's width in bits; then the case values. The first 16. */
SOCKSPEC_EXPORT void __sanitizer_cov_trace_switch(uint64_t value, uint64_t* cases) {
  if (g_header == NULL) return;
  uint64_t count = cases[0] < 16 ? cases[0] : 16;
  uint16_t size = (uint16_t)(cases[1] / 8);
  if (size < 2) return;
  for (uint64_t i = 0; i < count; ++i) record_integers(__builtin_return_address(0), size, value, cases[2 + i]);
}

/* What trace-div and trace-gep would call; nothing is learnt from them, but a server built with them links. */
SOCKSPEC_EXPORT void __sanitizer_cov_trace_div4(uint32_t value) { (void)value; }
SOCKSPEC_EXPORT void __sanitizer_cov_trace_div8(uint64_t value) { (void)value; }
SOCKSPEC_EXPORT void __sanitizer_cov_trace_gep(uintptr_t index) { (void)index; }

/* Called by a sanitizer's memcmp/strcmp interceptors (an ASan or UBSan build of the server) after the call. */
SOCKSPEC_EXPORT void __sanitizer_weak_hook_memcmp(void* caller, const void* s1, const void* s2, size_t n,
                                                 int result) {
  if (result != 0) record_bytes(caller, s1, s2, n);
}
SOCKSPEC_EXPORT void __sanitizer_weak_hook_strncmp(void* caller, const char* s1, const char* s2, size_t n,
                                                  int result) {
  if (result == 0 || g_header == NULL) return;
  size_t length = 0;
  while (length < n && length < SOCKSPEC_COVERAGE_CMP_BYTES && s1[length] != '\0' && s2[length] != '\0') ++length;
  record_bytes(caller, s1, s2, length + (length < n ? 1 : 0));
}
SOCKSPEC_EXPORT void __sanitizer_weak_hook_strcmp(void* caller, const char* s1, const char* s2, int result) {
  __sanitizer_weak_hook_strncmp(caller, s1, s2, SOCKSPEC_COVERAGE_CMP_BYTES, result);
}
