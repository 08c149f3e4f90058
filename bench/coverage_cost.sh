#!/usr/bin/env bash
# What the grey-box coverage runtime costs the server per request (docs/grey-box.md), measured in one run:
# sockspec-echo-load rate (--connections 8, 32-byte ping-pong, --seconds each) against sockspec-server
# --service echo in three conditions, interleaved for --rounds rounds, the median of each taken:
#   plain       the default build's server (g++, no instrumentation)
#   idle        the coverage-targets preset's server (clang, trace-pc-guard,trace-cmp, the runtime linked),
#               run as a user runs it without sockspec: no region, every callback a load and a branch
#   recording   the same binary under bench/coverage_region_host: a region, edges counted into it and taken
#               every millisecond, as `sockspec fuzz` takes them after each input
# Printed: round trips/s, the ratios, and the nanoseconds per round trip each step adds (1e9/rate
# differences); the edges the server registered and ran (from the host).
#
# Usage: bench/coverage_cost.sh [--seconds N] [--rounds N] [--build DIR] [--coverage-build DIR]
#   --seconds N           each measurement's window (default 3)
#   --rounds N            rounds of the three conditions (default 3)
#   --build DIR           the default build: targets/server/sockspec-server, bench/sockspec-echo-load and
#                         bench/coverage_region_host (default build/default)
#   --coverage-build DIR  the coverage-targets preset's build (default build/coverage-targets:
#                         cmake --preset coverage-targets && cmake --build --preset coverage-targets)
# Exit status: 0 all measured, 1 a measurement failed, 2 bad usage or missing programs.
set -uo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$script_dir")
# shellcheck disable=SC2034  # read by bench/lib.sh
bench_name=coverage_cost
# shellcheck source=bench/lib.sh
source "$script_dir/lib.sh"

seconds=3
rounds=3
build=$repo/build/default
coverage_build=$repo/build/coverage-targets
while (($# > 0)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --seconds) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--seconds needs a whole number of seconds"; seconds=$2; shift ;;
    --rounds) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--rounds needs a whole number"; rounds=$2; shift ;;
    --build) [[ $# -ge 2 ]] || die "--build needs a directory"; build=$2; shift ;;
    --coverage-build) [[ $# -ge 2 ]] || die "--coverage-build needs a directory"; coverage_build=$2; shift ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done

plain=$build/targets/server/sockspec-server
load=$build/bench/sockspec-echo-load
host=$build/bench/coverage_region_host
for program in "$plain" "$load" "$host"; do
  [[ -x $program ]] || die "$program is not built: cmake --build $build"
done
instrumented=$(instrumented_server "$coverage_build") || exit 2

bench_work_dir sockspec-coverage-cost
failed=0

# measure NAME ROUND COMMAND...: starts the server COMMAND (--listen/--service appended), runs the load and
# appends the rate to $work/NAME.rates; the server's stderr (the host's result line) to $work/NAME.err.
measure() {
  local name=$1 round=$2 url server status=0
  shift 2
  : >"$work/server.out"
  "$@" --listen tcp://127.0.0.1:0 --service echo >"$work/server.out" 2>>"$work/$name.err" &
  server=$!
  if ! url=$(await_listening_url "$work/server.out" "$server"); then
    echo "$bench_name: $name: the server printed no 'listening URL' line" >&2
    kill -TERM "$server" 2>/dev/null
    wait "$server" 2>/dev/null
    failed=1
    return
  fi
  run_bounded $((seconds + 30)) "$load" rate --connect "$url" --connections 8 --seconds "$seconds" \
    >"$work/$name-$round.out" 2>&1 || status=$?
  kill -TERM "$server" 2>/dev/null
  wait "$server" 2>/dev/null
  local rate
  rate=$(sed -n 's/^result mode=rate status=ok .* rate=\([0-9]*\).*/\1/p' "$work/$name-$round.out")
  if ((status != 0)) || [[ -z $rate ]]; then
    echo "$bench_name: $name: the load failed (exit $status):" >&2
    tail -n 3 "$work/$name-$round.out" | sed 's/^/    /' >&2
    failed=1
    return
  fi
  echo "$rate" >>"$work/$name.rates"
  echo "    $name: $rate round trips/s"
}

median() { [[ -s $work/$1.rates ]] && sort -n "$work/$1.rates" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# ns_step A B: nanoseconds per round trip that going from rate A to rate B adds.
ns_step() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a + 0 == 0 || b + 0 == 0) print "n/a"; else printf "%.0f", 1e9 / b - 1e9 / a }'; }

echo "coverage runtime cost: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sr), $(nproc) cores, $rounds rounds of ${seconds} s"
echo "  load average before the run: $(cut -d ' ' -f 1-3 /proc/loadavg)"
for round in $(seq 1 "$rounds"); do
  echo "[round $round/$rounds]"
  measure plain "$round" "$plain"
  measure idle "$round" "$instrumented"
  measure recording "$round" "$host" -- "$instrumented"
done

r_plain=$(median plain) r_idle=$(median idle) r_recording=$(median recording)
registered=$(sed -n 's/^result mode=coverage-region-host edges_in_binary=\([0-9]*\).*/\1/p' "$work/recording.err" | tail -n 1)
ran=$(sed -n 's/^result mode=coverage-region-host .* edges_seen=\([0-9]*\).*/\1/p' "$work/recording.err" | tail -n 1)
if [[ -z $registered || $registered == 0 ]]; then
  echo "$bench_name: the instrumented server did not attach to the region (a coverage-targets build older than this one's layout?)" >&2
  failed=1
fi
[[ -n $r_plain && -n $r_idle && -n $r_recording ]] || failed=1

echo
echo "results (median of $rounds; loopback; $(nproc) cores; load average now $(cut -d ' ' -f 1 /proc/loadavg)):"
printf '  %-58s %12s\n' "plain server (g++), round trips/s" "${r_plain:-failed}"
printf '  %-58s %12s\n' "instrumented, no region (run without sockspec)" "${r_idle:-failed}"
printf '  %-58s %12s\n' "instrumented, recording into a region" "${r_recording:-failed}"
printf '  %-58s %12s\n' "idle / plain" "$(ratio "$r_idle" "$r_plain")"
printf '  %-58s %12s\n' "recording / idle" "$(ratio "$r_recording" "$r_idle")"
printf '  %-58s %12s\n' "ns per round trip: instrumentation, no region" "$(ns_step "$r_plain" "$r_idle")"
printf '  %-58s %12s\n' "ns per round trip: the runtime recording" "$(ns_step "$r_idle" "$r_recording")"
printf '  %-58s %12s\n' "edges registered / run (echo, all rounds' last host)" "${registered:-?} / ${ran:-?}"
echo "ratio idle_over_plain=$(ratio "$r_idle" "$r_plain") recording_over_idle=$(ratio "$r_recording" "$r_idle")" \
  "plain=$r_plain idle=$r_idle recording=$r_recording"
((failed)) && exit 1
exit 0
