#!/usr/bin/env bash
# The README's test command: sets up a fresh Debian 12 machine (idempotently), builds the default preset
# and runs every test through CTest, then checks that sockspec builds and works without libFuzzer
# (.ci/build-without-libfuzzer.sh), then the fuzz smoke run (.ci/fuzz-smoke.sh: every *_fuzzer of the fuzz
# preset for SOCKSPEC_FUZZ_SECONDS, default 30), then the default suite and the live and chaos tests under
# ASan + UBSan (.ci/asan.sh). Exit status: ctest's if it failed, else the no-libFuzzer check's if it failed,
# else the smoke run's if it failed, else the sanitizer run's.
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/setup-debian.sh --bench
cmake --preset default
cmake --build --preset default -j "$(nproc)"
# Each test has its own timeout (tests/CMakeLists.txt); --timeout is the backstop for any that does not.
ctest_status=0
ctest --preset default -j "$(nproc)" --timeout 300 --no-tests=error || ctest_status=$?
# Like the smoke run, it goes on after a ctest failure.
no_libfuzzer_status=0
bash .ci/build-without-libfuzzer.sh || no_libfuzzer_status=$?
# The smoke run goes on even after a ctest failure: both results are worth having from one CI run.
smoke_status=0
bash .ci/fuzz-smoke.sh || smoke_status=$?
asan_status=0
bash .ci/asan.sh || asan_status=$?
summary="ctest exit $ctest_status; no-libFuzzer build exit $no_libfuzzer_status; fuzz smoke exit $smoke_status;"
summary+=" sanitizers exit $asan_status"
for status in "$ctest_status" "$no_libfuzzer_status" "$smoke_status" "$asan_status"; do
  if ((status != 0)); then
    echo "test.sh: failed: $summary" >&2
    exit "$status"
  fi
done
echo "test.sh: passed: $summary"
