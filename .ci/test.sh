#!/usr/bin/env bash
# The README's test command: sets up a fresh Debian 12 machine (idempotently), builds the default preset
# and runs every test through CTest, then checks that sockspec builds and works without libFuzzer
# (.ci/build-without-libfuzzer.sh), then the ClusterFuzzLite packaging of a user's server
# (.ci/server-fuzzer-package.sh), then the instrumented reference server of the grey-box benches
# (.ci/coverage-targets.sh), then the fuzz smoke run (.ci/fuzz-smoke.sh: every *_fuzzer of the fuzz
# preset for SOCKSPEC_FUZZ_SECONDS, default 30), then the default suite and the live and chaos tests under
# ASan + UBSan (.ci/asan.sh). Exit status: ctest's if it failed, else the no-libFuzzer check's if it failed,
# else the packaging check's, else the instrumented server's, else the smoke run's if it failed, else the
# sanitizer run's. Each stage's time is printed as it ends.
#
# Compiles go through ccache (installed by setup-debian.sh) when the build folders are configured afresh:
# CMake takes CMAKE_<LANG>_COMPILER_LAUNCHER from the environment. CCACHE_BASEDIR makes the clone's absolute
# paths relative, and CCACHE_NOHASHDIR leaves the working folder out of the hash, so a fresh clone anywhere
# reuses what an earlier run compiled (its debug info then names that run's folders), and the no-libFuzzer
# build, which has the default build's flags, reuses the default build's objects in the same run.
# SOCKSPEC_CCACHE=0 compiles without it; the cache is ccache's own (~/.cache/ccache, CCACHE_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
stage() { echo "test.sh: $1 took $((SECONDS - started)) s"; started=$SECONDS; }

bash .ci/setup-debian.sh --bench
if [ "${SOCKSPEC_CCACHE:-1}" != 0 ] && command -v ccache >/dev/null; then
  export CMAKE_CXX_COMPILER_LAUNCHER="${CMAKE_CXX_COMPILER_LAUNCHER:-ccache}"
  export CMAKE_C_COMPILER_LAUNCHER="${CMAKE_C_COMPILER_LAUNCHER:-ccache}"
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
  ccache --zero-stats >/dev/null
fi
stage "set-up"
cmake --preset default
cmake --build --preset default -j "$(nproc)"
stage "the default build"
# Each test has its own timeout (tests/CMakeLists.txt); --timeout is the backstop for any that does not.
ctest_status=0
ctest --preset default -j "$(nproc)" --timeout 300 --no-tests=error || ctest_status=$?
stage "ctest"
# Like the smoke run, it goes on after a ctest failure.
no_libfuzzer_status=0
bash .ci/build-without-libfuzzer.sh || no_libfuzzer_status=$?
stage "the no-libFuzzer build"
package_status=0
bash .ci/server-fuzzer-package.sh || package_status=$?
stage "the server fuzzer's packaging"
coverage_status=0
bash .ci/coverage-targets.sh || coverage_status=$?
stage "the instrumented reference server"
# The smoke run goes on even after a ctest failure: both results are worth having from one CI run.
smoke_status=0
bash .ci/fuzz-smoke.sh || smoke_status=$?
stage "the fuzz smoke run"
asan_status=0
bash .ci/asan.sh || asan_status=$?
stage "the sanitizer run"
if [ -n "${CCACHE_BASEDIR:-}" ]; then
  ccache --show-stats | grep -iE '^(cacheable calls|  hits|  misses|hits|misses)' | sed 's/^ */test.sh: ccache: /' || true
fi
summary="ctest exit $ctest_status; no-libFuzzer build exit $no_libfuzzer_status;"
summary+=" server fuzzer packaging exit $package_status; instrumented reference server exit $coverage_status;"
summary+=" fuzz smoke exit $smoke_status;"
summary+=" sanitizers exit $asan_status"
for status in "$ctest_status" "$no_libfuzzer_status" "$package_status" "$coverage_status" "$smoke_status" "$asan_status"; do
  if ((status != 0)); then
    echo "test.sh: failed: $summary" >&2
    exit "$status"
  fi
done
echo "test.sh: passed: $summary"
