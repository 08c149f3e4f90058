/* The shared region between `sockspec fuzz` and the coverage runtime linked into (or preloaded beside) the
 * server it fuzzes (targets/coverage/sockspec_coverage.c, docs/grey-box.md). C and C++: the runtime is C.
 *
 * sockspec makes the region as a sealed memfd (it cannot shrink, so a mapping of it never faults with
 * SIGBUS), sizes it to SOCKSPEC_COVERAGE_MAP_BYTES, fills in the header and names it to the server in the
 * environment: SOCKSPEC_COVERAGE_MAP=/proc/<sockspec's pid>/fd/<n>. The runtime maps it only when the file
 * is a memfd sealed against shrinking, of exactly that size, with this header; else it records nothing.
 *
 *   header (64 bytes) | edge counters (SOCKSPEC_COVERAGE_EDGE_SLOTS bytes) | comparisons (CMP_SLOTS entries)
 *
 * Edge counters: one byte per edge slot (trace-pc-guard: guard index modulo the slots), saturating at 255.
 * inline-8bit-counters live in the server's own memory: the runtime's flusher thread adds them into the
 * edge counters (counter index modulo the slots) and zeroes them when sockspec asks: sockspec increments
 * flush_request and wakes it (a futex), the thread answers by storing that number in flush_done (and waking).
 * Comparisons: a ring of operands of the comparisons that failed (trace-cmp, and memcmp/strcmp and their
 * kin), written at header.cmp_next (incremented per entry; slot = value modulo the slots).
 * sockspec reads and clears both after each input. */
#ifndef SOCKSPEC_BASE_COVERAGE_MAP_LAYOUT_H
#define SOCKSPEC_BASE_COVERAGE_MAP_LAYOUT_H

#include <stdint.h>

#define SOCKSPEC_COVERAGE_ENV "SOCKSPEC_COVERAGE_MAP"
/* The name of the runtime's flusher thread (inline-8bit-counters): it runs when sockspec asks, never as the
 * server's answer to an input, so reply ends (process/process_activity.h) leave it out. */
#define SOCKSPEC_COVERAGE_THREAD_NAME "sockspec-cov"
#define SOCKSPEC_COVERAGE_MAGIC 0x31564f434b434f53ULL /* "SOCKCOV1" read as a little-endian u64 */
#define SOCKSPEC_COVERAGE_VERSION 3u
#define SOCKSPEC_COVERAGE_EDGE_SLOTS 65536u           /* a power of two */
#define SOCKSPEC_COVERAGE_CMP_SLOTS 4096u             /* a power of two */
#define SOCKSPEC_COVERAGE_CMP_BYTES 32u               /* of each memcmp/strcmp operand kept */

/* What a comparison entry holds. */
#define SOCKSPEC_CMP_INTEGER 1u /* arg1, arg2: the operands, `size` bytes wide */
#define SOCKSPEC_CMP_BYTES 2u   /* bytes1, bytes2: the first `size` bytes of each (memcmp, strcmp, ...) */

struct sockspec_coverage_header {
  uint64_t magic;            /* SOCKSPEC_COVERAGE_MAGIC */
  uint32_t version;          /* SOCKSPEC_COVERAGE_VERSION */
  uint32_t header_bytes;     /* sizeof(struct sockspec_coverage_header) */
  uint32_t edge_slots;       /* SOCKSPEC_COVERAGE_EDGE_SLOTS */
  uint32_t cmp_slots;        /* SOCKSPEC_COVERAGE_CMP_SLOTS */
  uint32_t edges_in_binary;  /* written by the runtime: the guards its server registered (all modules) */
  uint32_t attached_pid;     /* written by the runtime: the last process that mapped the region */
  uint32_t cmp_next;         /* the runtime's next comparison entry (atomic increments) */
  uint32_t inline_counters;  /* written by the runtime: its inline-8bit-counters (0: none, nothing to flush) */
  uint32_t flush_request;    /* sockspec's latest flush request (a futex word) */
  uint32_t flush_done;       /* the runtime's latest answered request (a futex word) */
  uint32_t reserved[4];
};

struct sockspec_cmp_entry {
  uint16_t kind; /* SOCKSPEC_CMP_INTEGER or SOCKSPEC_CMP_BYTES; 0: not written */
  uint16_t size; /* operand width (2, 4, 8) or bytes kept (at most SOCKSPEC_COVERAGE_CMP_BYTES) */
  uint32_t site; /* the comparison's place in the server (the low bits of its address) */
  uint64_t arg1;
  uint64_t arg2;
  uint8_t bytes1[SOCKSPEC_COVERAGE_CMP_BYTES];
  uint8_t bytes2[SOCKSPEC_COVERAGE_CMP_BYTES];
};

/* Plain numbers (the layout is an interface, and casts would warn in C++), checked against the structs. */
#define SOCKSPEC_COVERAGE_HEADER_BYTES 64u
#define SOCKSPEC_COVERAGE_CMP_ENTRY_BYTES 88u
#define SOCKSPEC_COVERAGE_EDGES_OFFSET SOCKSPEC_COVERAGE_HEADER_BYTES
#define SOCKSPEC_COVERAGE_CMPS_OFFSET (SOCKSPEC_COVERAGE_EDGES_OFFSET + SOCKSPEC_COVERAGE_EDGE_SLOTS)
#define SOCKSPEC_COVERAGE_MAP_BYTES \
  (SOCKSPEC_COVERAGE_CMPS_OFFSET + SOCKSPEC_COVERAGE_CMP_SLOTS * SOCKSPEC_COVERAGE_CMP_ENTRY_BYTES)

#ifdef __cplusplus
static_assert(sizeof(struct sockspec_coverage_header) == SOCKSPEC_COVERAGE_HEADER_BYTES, "header size");
static_assert(sizeof(struct sockspec_cmp_entry) == SOCKSPEC_COVERAGE_CMP_ENTRY_BYTES, "entry size");
#else
_Static_assert(sizeof(struct sockspec_coverage_header) == SOCKSPEC_COVERAGE_HEADER_BYTES, "header size");
_Static_assert(sizeof(struct sockspec_cmp_entry) == SOCKSPEC_COVERAGE_CMP_ENTRY_BYTES, "entry size");
#endif

#endif
