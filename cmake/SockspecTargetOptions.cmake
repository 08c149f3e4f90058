# One place for the per-target settings every sockspec target gets; nothing is set globally.
#   sockspec_configure_target(<target>)
# adds the warning set, C++20, the sanitizers chosen with SOCKSPEC_SANITIZE, and with SOCKSPEC_COVERAGE_TARGETS
# the grey-box build of docs/grey-box.md.
function(sockspec_configure_target target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wconversion -Wsign-conversion -Wshadow -Wold-style-cast
    -Wnon-virtual-dtor -Woverloaded-virtual
    $<$<BOOL:${SOCKSPEC_WERROR}>:-Werror>)
  if(SOCKSPEC_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${SOCKSPEC_SANITIZE} -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=${SOCKSPEC_SANITIZE})
  endif()
  if(SOCKSPEC_FUZZ_INSTRUMENT)
    # Coverage for libFuzzer on everything the fuzzers link, not just the entry points.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link)
  endif()
  if(SOCKSPEC_COVERAGE_TARGETS)
    # As docs/grey-box.md builds a C++ server: edges and comparisons, memcmp and kin left as calls (clang
    # would expand small ones inline after instrumenting, out of the runtime's sight), and every program
    # linked with the whole runtime (the interceptors only without a sanitizer, whose own ones report).
    target_compile_options(${target} PRIVATE -fsanitize-coverage=trace-pc-guard,trace-cmp
      -fno-builtin-memcmp -fno-builtin-bcmp -fno-builtin-strcmp -fno-builtin-strncmp)
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "EXECUTABLE")
      if(SOCKSPEC_SANITIZE)
        target_link_libraries(${target} PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,sockspec_coverage>")
      else()
        target_link_libraries(${target} PRIVATE
          "$<LINK_LIBRARY:WHOLE_ARCHIVE,sockspec_coverage,sockspec_coverage_interceptors>")
      endif()
    endif()
  endif()
endfunction()

# sockspec_skip_fuzz_coverage(<target>): no libFuzzer coverage instrumentation for <target>'s own sources
# (ASan and UBSan stay). For fuzzing harness code, the client side of an exchange: its branches say nothing
# about the code under test, and its comparison hooks cost time on every byte it copies or checks. Also undoes
# the -fsanitize=fuzzer-no-link that OSS-Fuzz puts in CXXFLAGS, as target options come after them.
function(sockspec_skip_fuzz_coverage target)
  if(SOCKSPEC_BUILD_FUZZERS)
    target_compile_options(${target} PRIVATE -fno-sanitize=fuzzer-no-link)
  endif()
endfunction()
