/* For the runtime's own functions: never instrumented for coverage, whatever flags the server's build passes
 * (a callback that reached instrumented code would recurse). */
#ifndef SOCKSPEC_TARGETS_COVERAGE_NO_COVERAGE_H
#define SOCKSPEC_TARGETS_COVERAGE_NO_COVERAGE_H

#if defined(__clang__)
#define SOCKSPEC_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#elif defined(__GNUC__)
#define SOCKSPEC_NO_COVERAGE __attribute__((no_sanitize_coverage))
#else
#define SOCKSPEC_NO_COVERAGE
#endif

#endif
