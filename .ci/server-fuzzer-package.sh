#!/usr/bin/env bash
# The ClusterFuzzLite packaging of a user's server (docs/fuzzing-black-box.md, "ClusterFuzzLite"), checked
# without Docker: .clusterfuzzlite/build-server-fuzzer.sh builds sockspec-server-fuzzer as the image would
# (clang, ASan, -fsanitize=fuzzer-no-link in the flags it must take out, $LIB_FUZZING_ENGINE), with the
# system's packages, into a temporary $OUT beside the test victim (build/default: run after the default
# build) and an options file that names it through {dir}. Then what OSS-Fuzz's bad_build_check and a fuzzing
# run ask of it:
#   - `F -seed=1337 -runs=4` (check_startup_crash) says "Done 4 runs" and exits 0;
#   - the binary is x86-64 and holds at least 1,000 calls into ASan (check_mixed_sanitizers);
#   - from the seed corpus zip, it finds the victim's crash behind LOGIN then STAT, prints it, and
#     libFuzzer saves one crash-* file; `F crash-*` alone gives the same verdict.
# The build folder, build/server-fuzzer-package, is kept between runs, inside the clone so that .ci/test.sh's
# ccache (CCACHE_BASEDIR) finds what an earlier clone compiled.
# Exit status: 0 every check held; 1 a check failed; 3 the build failed or the victim is not built.
set -euo pipefail
cd "$(dirname "$0")/.."

victim=build/default/tests/live/sockspec-test-fuzz-victim
[ -x "$victim" ] || { echo "server-fuzzer-package: $victim is not built (the default build first)" >&2; exit 3; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="$work/out"
failures=0
# shellcheck disable=SC2034  # read by .ci/lib.sh
ci_name=server-fuzzer-package
# shellcheck source=.ci/lib.sh
source .ci/lib.sh

mkdir -p "$work/seeds" "$out"
printf 'PING\n' >"$work/seeds/ping"
printf 'SET a b\n\x1e\x1eGET a\n' >"$work/seeds/set-get"
printf 'LOGIN admin\n\x1e\x1eSTAT\n' >"$work/seeds/login-stat"
cat >"$work/victim_fuzzer.sockspec" <<'OPTIONS'
# The server beside this file, wherever $OUT is copied to.
--target-cmd {dir}/victim --port {port} --fault crash-after-login
--service any
--probe PING\n
--hang-timeout 300
OPTIONS
flags='-fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link'
if ! CC=clang CXX=clang++ CFLAGS="$flags" CXXFLAGS="$flags" LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT="$out" \
     WORK="$PWD/build/server-fuzzer-package" bash .clusterfuzzlite/build-server-fuzzer.sh victim_fuzzer "$work/victim_fuzzer.sockspec" \
     "$work/seeds" >"$work/build.log" 2>&1; then
  tail -30 "$work/build.log" >&2
  echo "server-fuzzer-package: build-server-fuzzer.sh failed" >&2
  exit 3
fi
cp "$victim" "$out/victim"
fuzzer="$out/victim_fuzzer"

startup() { (cd "$work" && timeout 120 "$fuzzer" -seed=1337 -runs=4 >"$work/startup.log" 2>&1) && grep -q 'Done 4 runs' "$work/startup.log"; }
check "-runs=4 without a corpus: Done 4 runs" startup
check "x86-64" bash -c "file '$fuzzer' | grep -q x86-64"
asan_calls() { (($(objdump -dC "$fuzzer" | grep -Ec 'callq?\s+[0-9a-f]+\s+<__asan') >= 1000)); }
check "1,000 calls into ASan or more" asan_calls

mkdir -p "$work/corpus" "$work/artifacts"
(cd "$work/corpus" && unzip -q "$out/victim_fuzzer_seed_corpus.zip")
status=0
(cd "$work" && timeout 300 "$fuzzer" -seed=7 -max_total_time=120 -artifact_prefix="$work/artifacts/" corpus \
   >"$work/fuzz.log" 2>&1) || status=$?
check "the crash behind LOGIN then STAT is found (libFuzzer's exit 77, got $status)" test "$status" = 77
check "and printed" grep -q '==sockspec== ERROR: crash: target killed by SIGABRT' "$work/fuzz.log"
mapfile -t saved < <(find "$work/artifacts" -name 'crash-*')
check "one crash-* file saved (${#saved[@]})" test "${#saved[@]}" = 1
if ((${#saved[@]} == 1)); then
  again=0
  (cd "$work" && timeout 60 "$fuzzer" "${saved[0]}" >"$work/again.log" 2>&1) || again=$?
  check "the crash file alone: the same verdict (exit $again)" grep -q '==sockspec== signature: crash: killed by SIGABRT' "$work/again.log"
fi
if ((failures != 0)); then
  for log in startup fuzz again; do [ -f "$work/$log.log" ] && { echo "--- $log.log"; tail -20 "$work/$log.log"; } >&2; done
  exit 1
fi
echo "server-fuzzer-package: every check held"
