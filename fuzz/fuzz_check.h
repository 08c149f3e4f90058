// The one way a fuzz target reports a broken invariant: print what and where, then abort(), which libFuzzer
// (and the replay driver under CTest) turns into a crash with the input saved. Not assert(): it must also
// fire in release builds, and the message says which promise failed.
#pragma once

#include <cstdio>
#include <cstdlib>

#define SOCKSPEC_FUZZ_CHECK(condition, what)                                                           \
  do {                                                                                                 \
    if (!(condition)) {                                                                                \
      std::fprintf(stderr, "%s:%d: fuzz invariant broken: %s (%s)\n", __FILE__, __LINE__, what, #condition); \
      std::abort();                                                                                    \
    }                                                                                                  \
  } while (false)
