#!/usr/bin/env bash
# CI under AddressSanitizer + UndefinedBehaviorSanitizer (issue #13): builds the `asan` preset's programs and
# the tests that run them (the `sockspec_live_tests` target: labels live and chaos), then runs
#   1. the default scenario suite (`sockspec run`), which must pass;
#   2. every test labelled live or chaos.
# A sanitizer report makes the program exit 86 (ASan) or 87 (UBSan): codes no sockspec program uses
# (docs/exit-codes.md), so a test expecting any documented code fails on it, and the chaos suite also looks for
# the report on stderr.
#   bash .ci/asan.sh [--no-build]
# Environment: SOCKSPEC_ASAN_JOBS (build and test jobs, default nproc).
# Exit status: 0 all passed; 1 the default suite or a test failed; 2 bad usage; 3 configure or build failed.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs="${SOCKSPEC_ASAN_JOBS:-$(nproc)}"
build=1
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "asan: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done
if ! [[ "$jobs" =~ ^[1-9][0-9]*$ ]]; then
  echo "asan: SOCKSPEC_ASAN_JOBS must be a positive whole number, got '$jobs'" >&2
  exit 2
fi

export ASAN_OPTIONS="exitcode=86:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="halt_on_error=1:exitcode=87:print_stacktrace=1"

if ((build)); then
  started=$SECONDS
  if ! cmake --preset asan >/dev/null ||
     ! cmake --build --preset asan -j "$jobs" --target sockspec sockspec-server sockspec-client sockspec_live_tests; then
    echo "asan: configure or build failed" >&2
    exit 3
  fi
  echo "asan: built in $((SECONDS - started)) s"
fi

status=0
started=$SECONDS
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if build/asan/harness/sockspec run --color never --report "json=$work/default-suite.json" >"$work/default-suite.txt" 2>&1; then
  echo "asan: the default suite passed: $(grep -m 1 -E "^[0-9]+ passed, " "$work/default-suite.txt") ($((SECONDS - started)) s)"
else
  code=$?
  echo "asan: the default suite failed (exit $code):" >&2
  grep -v '^PASS' "$work/default-suite.txt" | head -n 60 >&2
  status=1
fi

started=$SECONDS
if ! ctest --preset asan -L 'live|chaos' -j "$jobs" --no-tests=error; then
  status=1
fi
echo "asan: live and chaos tests took $((SECONDS - started)) s"
exit "$status"
