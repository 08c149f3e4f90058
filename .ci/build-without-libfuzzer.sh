#!/usr/bin/env bash
# sockspec where libFuzzer is missing (docs/fuzzing-black-box.md, "Only with libFuzzer"). On a machine that has
# libclang_rt.fuzzer_no_main, configures build/no-libfuzzer as a machine without it would be: the
# `no-libfuzzer` preset keeps SOCKSPEC_BLACKBOX_FUZZING=AUTO and sets
# CMAKE_DISABLE_FIND_PACKAGE_LibFuzzerNoMain, so find_package(LibFuzzerNoMain) returns "not found" without
# looking (cmake has no way to hide an installed file; this is the documented switch for it). Builds only
# `sockspec` and checks that:
#   - cmake says black-box fuzzing is off and what to install, and looked for no archive;
#   - the program does not link libFuzzer, `sockspec run --list`, `inspect --help` and `replay --help` work;
#   - `sockspec fuzz ...` exits 2 saying it was built without libFuzzer;
#   - SOCKSPEC_BLACKBOX_FUZZING=OFF (the switch for people) does not look for the archive either, and
#     gives the same program.
# The build folder is kept between runs (a re-run configures afresh and rebuilds only what changed). The
# preset has the default preset's compiler flags, so under .ci/test.sh's ccache only the files that differ compile.
# Exit status: 0 every check held; 1 a check failed; 3 configure or build failed.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build/no-libfuzzer
program="$build_dir/harness/sockspec"
archive="libclang_rt.fuzzer_no_main-$(uname -m).a"
failures=0
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# shellcheck disable=SC2034  # read by .ci/lib.sh
ci_name=no-libfuzzer
# shellcheck source=.ci/lib.sh
source .ci/lib.sh
not_searched() {  # nothing of the archive search in the cache: find_package never ran the search
  ! grep -Eq '^SOCKSPEC_(LIBFUZZER_NO_MAIN|CLANG_FOR_LIBFUZZER):' "$build_dir/CMakeCache.txt"
}

# --fresh: a new cache, so an earlier configure's search result cannot stand in for this one.
cmake --preset no-libfuzzer --fresh >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log" >&2; echo "no-libfuzzer: configure failed" >&2; exit 3; }
check "cmake says: black-box fuzzing is off, $archive not found, install libclang-rt-14-dev" \
  grep -Fq -- "-- black-box fuzzing (sockspec fuzz) is off: $archive not found; install libclang-rt-14-dev" \
  "$work/configure.log"
check "no archive was looked for" not_searched

nice -n 10 cmake --build --preset no-libfuzzer -j "$(nproc)" ||
  { echo "no-libfuzzer: building sockspec failed" >&2; exit 3; }

check "sockspec links no libFuzzer (no LLVMFuzzerRunDriver)" \
  bash -c "! nm '$program' | grep -q LLVMFuzzerRunDriver"
check "sockspec run --list exits 0 and lists the default suite (scenarios/default/)" \
  bash -c "'$program' run --list >'$work/list.txt' && grep -q '/scenarios/default/lifecycle/' '$work/list.txt'"
check "sockspec inspect --help exits 0" bash -c "'$program' inspect --help >/dev/null"
check "sockspec replay --help exits 0" bash -c "'$program' replay --help >/dev/null"

fuzz_status=0
"$program" fuzz --service echo --target tcp://127.0.0.1:1 --artifacts "$work/artifacts" \
  >"$work/fuzz.out" 2>"$work/fuzz.err" || fuzz_status=$?
check "sockspec fuzz exits 2 (got $fuzz_status)" test "$fuzz_status" -eq 2
check "sockspec fuzz says it was built without libFuzzer" \
  grep -Fxq "sockspec fuzz: this sockspec was built without libFuzzer (libclang-rt-14-dev); rebuild with it to fuzz" \
  "$work/fuzz.err"
check "sockspec fuzz printed nothing on stdout and made no artifacts folder" \
  bash -c "! test -s '$work/fuzz.out' && ! test -e '$work/artifacts'"

# The switch for people: OFF, on this machine where the archive is there to be found if anything looked.
cmake --preset no-libfuzzer --fresh -DSOCKSPEC_BLACKBOX_FUZZING=OFF \
  -DCMAKE_DISABLE_FIND_PACKAGE_LibFuzzerNoMain=OFF >"$work/configure-off.log" 2>&1 ||
  { cat "$work/configure-off.log" >&2; echo "no-libfuzzer: configure with OFF failed" >&2; exit 3; }
check "cmake says: black-box fuzzing is off: SOCKSPEC_BLACKBOX_FUZZING=OFF" \
  grep -Fq -- "-- black-box fuzzing (sockspec fuzz) is off: SOCKSPEC_BLACKBOX_FUZZING=OFF" "$work/configure-off.log"
check "with OFF, no archive was looked for" not_searched
check "with OFF, the same program (nothing to rebuild)" \
  bash -c "ninja -C '$build_dir' -n sockspec | grep -q 'no work to do'"

if ((failures > 0)); then
  echo "no-libfuzzer: $failures check(s) failed" >&2
  exit 1
fi
echo "no-libfuzzer: sockspec builds and works without libFuzzer"
