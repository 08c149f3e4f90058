/* memcmp, bcmp, strcmp and strncmp for a server built without a sanitizer (docs/grey-box.md): clang expands
 * a memcmp of a few constant bytes into plain loads and compares after SanitizerCoverage has run, so
 * trace-cmp sees only the result against 0, never the bytes. Built with -fno-builtin-memcmp -fno-builtin-bcmp
 * -fno-builtin-strcmp -fno-builtin-strncmp, the server calls these instead, which compare as libc does and
 * hand a failed comparison's bytes to the runtime's hooks (sockspec_coverage.c). A server built with ASan
 * must not link them: ASan's own interceptors call the same hooks (sanitizer_common_interceptors.inc).
 * Byte by byte: slower than glibc's vector code on long buffers, which a request's fields seldom are. */
#include <stddef.h>

#include "no_coverage.h"

void __sanitizer_weak_hook_memcmp(void* caller, const void* s1, const void* s2, size_t n, int result);
void __sanitizer_weak_hook_strncmp(void* caller, const char* s1, const char* s2, size_t n, int result);
void __sanitizer_weak_hook_strcmp(void* caller, const char* s1, const char* s2, int result);

SOCKSPEC_NO_COVERAGE static int compare_bytes(const void* s1, const void* s2, size_t n) {
  const unsigned char* a = (const unsigned char*)s1;
  const unsigned char* b = (const unsigned char*)s2;
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

SOCKSPEC_NO_COVERAGE int memcmp(const void* s1, const void* s2, size_t n) {
  int result = compare_bytes(s1, s2, n);
  __sanitizer_weak_hook_memcmp(__builtin_return_address(0), s1, s2, n, result);
  return result;
}

SOCKSPEC_NO_COVERAGE int bcmp(const void* s1, const void* s2, size_t n) {
  int result = compare_bytes(s1, s2, n);
  __sanitizer_weak_hook_memcmp(__builtin_return_address(0), s1, s2, n, result);
  return result;
}

/* As strncmp: at most `n` bytes, up to the first NUL. */
SOCKSPEC_NO_COVERAGE static int compare_strings(const char* s1, const char* s2, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    unsigned char a = (unsigned char)s1[i];
    unsigned char b = (unsigned char)s2[i];
    if (a != b) return a < b ? -1 : 1;
    if (a == '\0') break;
  }
  return 0;
}

SOCKSPEC_NO_COVERAGE int strncmp(const char* s1, const char* s2, size_t n) {
  int result = compare_strings(s1, s2, n);
  __sanitizer_weak_hook_strncmp(__builtin_return_address(0), s1, s2, n, result);
  return result;
}

SOCKSPEC_NO_COVERAGE int strcmp(const char* s1, const char* s2) {
  int result = compare_strings(s1, s2, (size_t)-1);
  __sanitizer_weak_hook_strcmp(__builtin_return_address(0), s1, s2, result);
  return result;
}
