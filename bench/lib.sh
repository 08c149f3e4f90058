# Shared by the bench scripts (sourced, never run): their usage text, their errors, and commands run in the
# background under a time limit, stopped with the script. A script sets `bench_name` before sourcing this;
# its usage is its header comment, from line 2 to the line `set -uo pipefail`.
# shellcheck shell=bash disable=SC2034  # `child` and `work` are the sourcing script's

: "${bench_name:?set bench_name before sourcing bench/lib.sh}"
# shellcheck source=bench/listening_url.sh
source "$(dirname "${BASH_SOURCE[0]}")/listening_url.sh"

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() { echo "$bench_name: $*" >&2; exit 2; }

# The command run_bounded is waiting for ("" when none): the EXIT trap stops it.
child=""

# bench_work_dir PREFIX: makes the temporary folder $work (/tmp/PREFIX.XXXXXX) and sets the traps that stop
# the running command and remove $work however the script ends; an interrupt says so and exits 130.
bench_work_dir() {
  work=$(mktemp -d "/tmp/$1.XXXXXX") || die "cannot make a temporary folder"
  trap bench_cleanup EXIT
  trap 'echo "$bench_name: interrupted" >&2; exit 130' INT TERM
}

# shellcheck disable=SC2317  # reached through the trap
bench_cleanup() {
  [[ -z $child ]] || kill -TERM "$child" 2>/dev/null
  wait 2>/dev/null
  [[ -z ${work:-} ]] || rm -rf "$work"
}

# run_bounded SECONDS COMMAND...: runs COMMAND in the background (so that a signal to the script is handled
# at once: bash runs traps only between commands), killed by timeout(1) should it overrun. Returns its status.
run_bounded() {
  local limit=$1 status=0
  shift
  timeout -k 5 "$limit" "$@" &
  child=$!
  wait "$child" || status=$?
  child=""
  return $status
}

# measure_loopback_limit NAME PROGRAM SECONDS: runs bench/loopback_round_trips (PROGRAM) for SECONDS and sets
# limit_NAME to its round trips/s ("" when it failed); its output goes to $work/limit-NAME.out.
measure_loopback_limit() {
  if run_bounded $(($3 + 30)) "$2" --seconds "$3" >"$work/limit-$1.out" 2>&1; then
    printf -v "limit_$1" '%s' "$(sed -n 's/^result .* rate=\([0-9]*\).*/\1/p' "$work/limit-$1.out")"
  else
    printf -v "limit_$1" '%s' ""
  fi
}

# ratio A B: A / B to two decimals; "n/a" when either is missing or B is 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
# goal RATIO LEAST: "met", "MISSED", or "n/a" for a ratio that could not be taken.
goal() { awk -v r="$1" -v g="$2" 'BEGIN { if (r == "n/a" || r == "") print "n/a"; else print (r + 0 >= g ? "met" : "MISSED") }'; }

# instrumented_server DIR: the coverage-targets preset's sockspec-server in build DIR (bench/fuzz_greybox.sh,
# bench/coverage_cost.sh); dies, saying how to build it, when it is missing or has no coverage runtime.
instrumented_server() {
  local server=$1/targets/server/sockspec-server
  [[ -x $server ]] ||
    die "$server is not built: cmake --preset coverage-targets && cmake --build --preset coverage-targets"
  # (grep -c reads all of nm's output: grep -q would stop early and pipefail would see nm's SIGPIPE.)
  (($(nm "$server" | grep -c ' T __sanitizer_cov_trace_pc_guard$') > 0)) ||
    die "$server has no coverage runtime: is $1 the coverage-targets preset's build?"
  realpath "$server"
}
