# FindLibFuzzerNoMain: libFuzzer without its main(), the engine of `sockspec fuzz` (blackbox/fuzz_engine.h
# calls LLVMFuzzerRunDriver). Debian ships it in libclang-rt-14-dev as
# libclang_rt.fuzzer_no_main-<arch>.a, and it links into a g++ program too. In the `fuzz` preset everything
# is compiled with -fsanitize=fuzzer-no-link, which links no libFuzzer, so this archive is still the only copy.
#
# Looks where clang says its runtime is (clang++ -print-file-name), then in /usr/lib/llvm-*/ (newest first),
# unless SOCKSPEC_LIBFUZZER_NO_MAIN already names the archive. A cached path that has since disappeared is
# searched for again.
# Defines:
#   LibFuzzerNoMain_FOUND
#   SOCKSPEC_LIBFUZZER_NO_MAIN              (cache) the archive's path
#   LibFuzzerNoMain::LibFuzzerNoMain        imported static library
# -DCMAKE_DISABLE_FIND_PACKAGE_LibFuzzerNoMain=ON makes find_package skip this file: how the build without
# libFuzzer is tested on a machine that has it (.ci/build-without-libfuzzer.sh).

set(_libfuzzer_archive "libclang_rt.fuzzer_no_main-${CMAKE_SYSTEM_PROCESSOR}.a")

if(SOCKSPEC_LIBFUZZER_NO_MAIN AND NOT EXISTS "${SOCKSPEC_LIBFUZZER_NO_MAIN}")
  unset(SOCKSPEC_LIBFUZZER_NO_MAIN CACHE)
endif()
if(NOT SOCKSPEC_LIBFUZZER_NO_MAIN)
  find_program(SOCKSPEC_CLANG_FOR_LIBFUZZER NAMES clang++ clang++-14 clang)
  if(SOCKSPEC_CLANG_FOR_LIBFUZZER)
    execute_process(COMMAND ${SOCKSPEC_CLANG_FOR_LIBFUZZER} -print-file-name=${_libfuzzer_archive}
                    OUTPUT_VARIABLE _libfuzzer_found OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    # clang prints the bare name back when it has no such file.
    if(IS_ABSOLUTE "${_libfuzzer_found}" AND EXISTS "${_libfuzzer_found}")
      set(SOCKSPEC_LIBFUZZER_NO_MAIN "${_libfuzzer_found}" CACHE FILEPATH "libFuzzer without main(), for sockspec fuzz")
    endif()
  endif()
endif()
if(NOT SOCKSPEC_LIBFUZZER_NO_MAIN)
  file(GLOB _libfuzzer_found LIST_DIRECTORIES false
       "/usr/lib/llvm-*/lib/clang/*/lib/linux/${_libfuzzer_archive}")
  if(_libfuzzer_found)
    list(SORT _libfuzzer_found COMPARE NATURAL ORDER DESCENDING)
    list(GET _libfuzzer_found 0 _libfuzzer_found)
    set(SOCKSPEC_LIBFUZZER_NO_MAIN "${_libfuzzer_found}" CACHE FILEPATH "libFuzzer without main(), for sockspec fuzz")
  endif()
endif()
unset(_libfuzzer_found)
unset(_libfuzzer_archive)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(LibFuzzerNoMain REQUIRED_VARS SOCKSPEC_LIBFUZZER_NO_MAIN)

if(LibFuzzerNoMain_FOUND AND NOT TARGET LibFuzzerNoMain::LibFuzzerNoMain)
  add_library(LibFuzzerNoMain::LibFuzzerNoMain STATIC IMPORTED)
  set_target_properties(LibFuzzerNoMain::LibFuzzerNoMain PROPERTIES IMPORTED_LOCATION "${SOCKSPEC_LIBFUZZER_NO_MAIN}")
endif()
