#!/usr/bin/env bash
# The instrumented reference server of bench/fuzz_greybox.sh and bench/coverage_cost.sh (docs/grey-box.md):
# configures the coverage-targets preset (clang, every source with trace-pc-guard,trace-cmp, every program
# linked with the coverage runtime), builds sockspec-server, and checks that:
#   - the preset refuses what does not belong in it (SOCKSPEC_BUILD_TESTS=ON: a FATAL_ERROR saying so);
#   - the server holds the runtime's callbacks, not clang's weak ones;
#   - run without sockspec it serves as before, on one thread: an echo through sockspec-client;
#   - `sockspec fuzz --service framed` of the default build runs grey-box against it for 3 s: the runtime
#     registered its edges and the inputs ran some of them.
# Needs the default build (build/default). Exit status: 0 every check held; 1 a check failed; 3 configure or
# build failed.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build/coverage-targets
server="$build_dir/targets/server/sockspec-server"
sockspec=build/default/harness/sockspec
failures=0
work="$(mktemp -d)"
server_pid=""
trap '[[ -z $server_pid ]] || kill -TERM "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT

# shellcheck disable=SC2034  # read by .ci/lib.sh
ci_name=coverage-targets
# shellcheck source=.ci/lib.sh
source .ci/lib.sh
# shellcheck source=bench/listening_url.sh
source bench/listening_url.sh

refused=0
cmake --preset coverage-targets --fresh -DSOCKSPEC_BUILD_TESTS=ON >"$work/refused.log" 2>&1 || refused=$?
check "the preset with SOCKSPEC_BUILD_TESTS=ON is refused, saying why" \
  bash -c "test $refused -ne 0 && grep -q 'SOCKSPEC_COVERAGE_TARGETS builds servers under test only' '$work/refused.log'"
cmake --preset coverage-targets --fresh >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log" >&2; echo "coverage-targets: configure failed" >&2; exit 3; }
nice -n 10 cmake --build --preset coverage-targets -j "$(nproc)" >"$work/build.log" 2>&1 ||
  { tail -n 30 "$work/build.log" >&2; echo "coverage-targets: building sockspec-server failed" >&2; exit 3; }

nm "$server" >"$work/symbols.txt"
check "sockspec-server defines the runtime's trace-pc-guard callbacks" \
  grep -q ' T __sanitizer_cov_trace_pc_guard$' "$work/symbols.txt"
check "sockspec-server defines the runtime's memcmp interceptor" grep -q ' T memcmp$' "$work/symbols.txt"

# Without sockspec: as before.
env -u SOCKSPEC_COVERAGE_MAP "$server" --listen tcp://127.0.0.1:0 --service echo >"$work/server.out" 2>&1 &
server_pid=$!
url=$(await_listening_url "$work/server.out" "$server_pid")
check "run without sockspec, it serves (listening $url)" test -n "$url"
check "run without sockspec, it has one thread" \
  bash -c "test \$(ls /proc/$server_pid/task | wc -l) -eq 1"
if [[ -n $url ]]; then
  check "run without sockspec, it echoes (sockspec-client checks the echo)" \
    bash -c "timeout 10 build/default/targets/client/sockspec-client --connect '$url' --service echo \
      --data 'hello\n' >'$work/client.out' 2>&1 || { cat '$work/client.out'; false; }"
fi
kill -TERM "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""

status=0
timeout 60 "$sockspec" fuzz --service framed --max-time 3 --seed 1 --artifacts "$work/artifacts" \
  --target-cmd "$server --listen tcp://127.0.0.1:{port} --service framed" >"$work/fuzz.out" 2>"$work/fuzz.err" ||
  status=$?
check "sockspec fuzz against it exits 0 (got $status)" test "$status" -eq 0
check "grey-box: the runtime registered its edges" \
  grep -Eq "^sockspec fuzz: grey-box: the server's coverage runtime registered [1-9][0-9]* edges" "$work/fuzz.err"
check "grey-box: the inputs ran some of them" \
  grep -Eq "^sockspec fuzz: grey-box: the inputs ran [1-9][0-9]* of the server's [1-9][0-9]* edges" "$work/fuzz.err"

if ((failures > 0)); then
  tail -n 20 "$work/fuzz.err" >&2
  echo "coverage-targets: $failures check(s) failed" >&2
  exit 1
fi
echo "coverage-targets: the instrumented reference server builds, runs alone and is fuzzed grey-box"
