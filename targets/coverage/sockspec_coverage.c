/* The coverage runtime of grey-box fuzzing (docs/grey-box.md): linked into a server built with clang's
 * SanitizerCoverage (-fsanitize-coverage=trace-pc-guard or inline-8bit-counters, optionally trace-cmp; or
 * -fsanitize=fuzzer-no-link), it records the server's edges, and the operands of its failed comparisons,
 * into the region `sockspec fuzz` names in SOCKSPEC_COVERAGE_MAP (base/coverage_map_layout.h). Without that
 * variable, or with a region it cannot trust (missing, not a memfd sealed against shrinking, of another
 * size, another header), it records nothing and the server runs as before: each callback costs a load and
 * a branch, and no thread is started.
 *
 * trace-pc-guard edges go straight into the region. inline-8bit-counters are increments the compiler puts
 * in the server's own memory, which sockspec cannot see: a flusher thread, started only when the region is
 * mapped, adds them into the region when sockspec asks (after each input) and zeroes them. Only the process
 * that mapped the region has the thread: a forked child's inline counters are its own and are not read.
 *
 * Plain C with no dependency beyond libc, so that it links into any server; none of its own code is
 * instrumented (SOCKSPEC_NO_COVERAGE: a callback that called an instrumented helper would recurse).
 * The SanitizerCoverage callbacks and their contracts: clang's SanitizerCoverage documentation and
 * compiler-rt's sanitizer_coverage_interface.inc; the memcmp hooks are the ones sanitizers' interceptors
 * call (sanitizer_common_interceptors.inc, CALL_WEAK_INTERCEPTOR_HOOK). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/coverage_map_layout.h"
#include "no_coverage.h"

#define SOCKSPEC_EXPORT SOCKSPEC_NO_COVERAGE

static struct sockspec_coverage_header* g_header; /* NULL: nothing is recorded */
static uint8_t* g_edges;
static struct sockspec_cmp_entry* g_cmps;
static uint32_t g_guards; /* guards numbered so far, over every module */
static int g_attach_tried;

/* inline-8bit-counters: each module's counters and where its first one goes in the edge slots. */
#define SOCKSPEC_COUNTER_MODULES 64
struct counter_module {
  uint8_t* start;
  uint8_t* stop;
  uint32_t first_slot;
};
static struct counter_module g_counter_modules[SOCKSPEC_COUNTER_MODULES];
static uint32_t g_counter_module_count; /* written before the flusher reads it: release/acquire */
static uint32_t g_counters;             /* inline counters registered so far, over every module */
static int g_flusher_started;

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
  if (g_header != NULL) __atomic_store_n(&g_header->edges_in_binary, g_guards + g_counters, __ATOMIC_RELAXED);
}

SOCKSPEC_EXPORT void __sanitizer_cov_trace_pc_guard(uint32_t* guard) {
  uint8_t* edges = g_edges;
  if (edges == NULL) return;
  /* Threads may race on a counter: a lost increment is a count off by one, never a wrong edge. */
  uint8_t* counter = &edges[*guard & (SOCKSPEC_COVERAGE_EDGE_SLOTS - 1u)];
  if (*counter != 255) ++*counter;
}

SOCKSPEC_NO_COVERAGE static long futex(uint32_t* word, int op, uint32_t value) {
  /* Not FUTEX_PRIVATE_FLAG: the word is in memory shared with sockspec's process. */
  return syscall(SYS_futex, word, op, value, NULL, NULL, 0);
}

/* Adds every nonzero inline counter into its edge slot (saturating) and zeroes it. Server threads may bump
 * a counter meanwhile: a lost count is a count off by one, never a wrong edge. */
SOCKSPEC_NO_COVERAGE static void flush_counters(void) {
  uint32_t modules = __atomic_load_n(&g_counter_module_count, __ATOMIC_ACQUIRE);
  for (uint32_t m = 0; m < modules; ++m) {
    const struct counter_module* module = &g_counter_modules[m];
    uint32_t slot = module->first_slot;
    for (uint8_t* counter = module->start; counter < module->stop; ++counter, ++slot) {
      uint8_t count = __atomic_load_n(counter, __ATOMIC_RELAXED);
      if (count == 0) continue;
      __atomic_store_n(counter, 0, __ATOMIC_RELAXED);
      uint8_t* edge = &g_edges[slot & (SOCKSPEC_COVERAGE_EDGE_SLOTS - 1u)];
      unsigned sum = (unsigned)*edge + count;
      *edge = (uint8_t)(sum > 255 ? 255 : sum);
    }
  }
}

/* Answers sockspec's flush requests for as long as the process lives. */
SOCKSPEC_NO_COVERAGE static void* flusher(void* unused) {
  (void)unused;
  struct sockspec_coverage_header* header = g_header;
  for (;;) {
    uint32_t request = __atomic_load_n(&header->flush_request, __ATOMIC_ACQUIRE);
    if (request == __atomic_load_n(&header->flush_done, __ATOMIC_RELAXED)) {
      futex(&header->flush_request, FUTEX_WAIT, request); /* returns at once if it changed meanwhile */
      continue;
    }
    flush_counters();
    __atomic_store_n(&header->flush_done, request, __ATOMIC_RELEASE);
    futex(&header->flush_done, FUTEX_WAKE, INT_MAX);
  }
  return NULL;
}

/* Starts the flusher once, with every signal blocked: the server's signals stay the server's threads'. */
SOCKSPEC_NO_COVERAGE static void start_flusher(void) {
  if (g_flusher_started || g_header == NULL) return;
  g_flusher_started = 1;
  sigset_t all, before;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &before);
  pthread_attr_t attributes;
  pthread_t thread;
  if (pthread_attr_init(&attributes) == 0) {
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attributes, 64 * 1024);
    /* Without the thread nothing answers: inline_counters stays 0, and sockspec never asks. */
    if (pthread_create(&thread, &attributes, flusher, NULL) == 0) {
      pthread_setname_np(thread, SOCKSPEC_COVERAGE_THREAD_NAME);
      __atomic_store_n(&g_header->inline_counters, g_counters, __ATOMIC_RELEASE);
    }
    pthread_attr_destroy(&attributes);
  }
  pthread_sigmask(SIG_SETMASK, &before, NULL);
}

/* Called by each module's constructor built with inline-8bit-counters, before main() (and by dlopen). A
 * module seen before is left as it is; modules beyond SOCKSPEC_COUNTER_MODULES are not recorded. */
SOCKSPEC_EXPORT void __sanitizer_cov_8bit_counters_init(uint8_t* start, uint8_t* stop) {
  if (start >= stop) return;
  uint32_t modules = g_counter_module_count;
  for (uint32_t m = 0; m < modules; ++m) {
    if (g_counter_modules[m].start == start) return;
  }
  if (modules == SOCKSPEC_COUNTER_MODULES) return;
  attach();
  /* Slots after the guards numbered so far: a binary that mixes both modes shares slots modulo their count. */
  g_counter_modules[modules] = (struct counter_module){start, stop, g_guards + g_counters};
  g_counters += (uint32_t)(stop - start);
  __atomic_store_n(&g_counter_module_count, modules + 1, __ATOMIC_RELEASE);
  if (g_header == NULL) return;
  __atomic_store_n(&g_header->edges_in_binary, g_guards + g_counters, __ATOMIC_RELAXED);
  if (g_flusher_started) {
    __atomic_store_n(&g_header->inline_counters, g_counters, __ATOMIC_RELEASE);
  } else {
    start_flusher();
  }
}

/* pc-table (part of -fsanitize=fuzzer-no-link): the edges' addresses, which sockspec does not use. */
SOCKSPEC_EXPORT void __sanitizer_cov_pcs_init(const uintptr_t* start, const uintptr_t* stop) {
  (void)start, (void)stop;
}

/* stack-depth (part of -fsanitize=fuzzer-no-link): the compiler keeps each thread's lowest stack address
 * here; sockspec does not use it, but the server must link. Weak: a sanitizer runtime defines it too. */
__attribute__((weak)) __thread uintptr_t __sancov_lowest_stack;

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
