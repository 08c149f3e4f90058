#!/usr/bin/env bash
# Grey-box fuzzing (docs/grey-box.md) beside black-box, on the reference server and on the grey-box victim
# (tests/support/greybox_victim.c: a crash behind HELLO, a key compared 4 bytes at a time and a magic RUN
# argument), all in one run:
#   limit    bench/loopback_round_trips: a fresh TCP connection, one 32-byte echo and both closes per round
#            trip, one thread. Before and after the rest; the mean is the limit.
#   rate     exec/s for --seconds, one worker: `sockspec fuzz --service framed` against sockspec-server
#            --service framed, grey-box against the instrumented build (the coverage-targets preset: every
#            source built with trace-pc-guard,trace-cmp and linked with the coverage runtime) and black-box
#            against the plain one (the default build, g++); then `--service any` from ordinary seeds on the
#            victim without its crash (--no-crash), grey-box against its instrumented build, black-box against
#            its plain one.
#   find     from the same ordinary seeds (HELLO bob; KEY abcdefgh; RUN abcd), --jobs $(nproc), up to
#            --find-seconds: grey-box against the instrumented build, black-box against the plain build, each
#            over TCP and over UDP. The time to the crash, or "not found".
# Goals (issue #15), on the reference server: grey-box rate >= 0.5 x black-box rate, and >= 1,000 exec/s;
# on the victim: grey-box finds the crash within 2 minutes, black-box does not in the same time.
#
# Usage: bench/fuzz_greybox.sh [--seconds N] [--find-seconds N] [--build DIR] [--coverage-build DIR]
#   --seconds N           each rate measurement (default 20)
#   --find-seconds N      each search's bound (default 120)
#   --build DIR           the build with harness/sockspec, targets/server/sockspec-server,
#                         tests/live/sockspec-test-greybox-victim(-plain) and bench/loopback_round_trips
#                         (default build/default)
#   --coverage-build DIR  the coverage-targets preset's build with the instrumented sockspec-server (default
#                         build/coverage-targets: cmake --preset coverage-targets &&
#                         cmake --build --preset coverage-targets)
# Exit status: 0 all measured, 1 a measurement failed, 2 bad usage or missing programs. Logs and findings
# live in a temporary folder, removed on exit.
set -uo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$script_dir")
# shellcheck disable=SC2034  # read by bench/lib.sh
bench_name=fuzz_greybox
# shellcheck source=bench/lib.sh
source "$script_dir/lib.sh"

seconds=20
find_seconds=120
build=$repo/build/default
coverage_build=$repo/build/coverage-targets
while (($# > 0)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --seconds) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--seconds needs a whole number of seconds"; seconds=$2; shift ;;
    --find-seconds)
      [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--find-seconds needs a whole number of seconds"; find_seconds=$2; shift ;;
    --build) [[ $# -ge 2 ]] || die "--build needs a directory"; build=$2; shift ;;
    --coverage-build) [[ $# -ge 2 ]] || die "--coverage-build needs a directory"; coverage_build=$2; shift ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done

sockspec=$build/harness/sockspec
grey=$build/tests/live/sockspec-test-greybox-victim
plain=$build/tests/live/sockspec-test-greybox-victim-plain
limit_program=$build/bench/loopback_round_trips
reference_plain=$build/targets/server/sockspec-server
for program in "$sockspec" "$grey" "$plain" "$limit_program" "$reference_plain"; do
  [[ -x $program ]] || die "$program is not built: cmake --build $build"
done
reference_grey=$(instrumented_server "$coverage_build") || exit 2
grey=$(realpath "$grey")
plain=$(realpath "$plain")
reference_plain=$(realpath "$reference_plain")
jobs=$(nproc)

bench_work_dir sockspec-fuzz-greybox
mkdir -p "$work/seeds"
printf 'HELLO bob\n' >"$work/seeds/hello"
printf 'HELLO bob\n\x1e\x1eKEY abcdefgh\n\x1e\x1eRUN abcd\n' >"$work/seeds/session"

failed=0

measure_rate() {  # NAME FUZZ-OPTION...: sets rate_NAME to exec/s ("" when it failed)
  local name=$1 status=0
  shift
  run_bounded $((seconds + 60)) "$sockspec" fuzz --max-time "$seconds" --seed 1 --artifacts "$work/artifacts-$name" \
    "$@" >"$work/$name.out" 2>"$work/$name.err" || status=$?
  grep -E '^sockspec fuzz: (grey-box|done)' "$work/$name.err" | sed 's/^/    /'
  if ((status != 0)); then
    echo "$bench_name: $name: sockspec fuzz exited $status:" >&2
    tail -n 5 "$work/$name.err" | sed 's/^/    /' >&2
    failed=1
  fi
  printf -v "rate_$name" '%s' "$(sed -n 's/^sockspec fuzz: done: .* (\([0-9]*\) exec\/s).*/\1/p' "$work/$name.err")"
  if [[ $name == *grey* ]] && ! grep -q "coverage runtime registered" "$work/$name.err"; then
    echo "$bench_name: $name: the server's coverage runtime did not attach (a build older than sockspec's layout?)" >&2
    printf -v "rate_$name" '%s' ""
    failed=1
  fi
}

find_crash() {  # NAME SERVER TRANSPORT [FUZZ OPTION...]: sets found_NAME to the seconds to the crash, or "not found"
  local name=$1 server=$2 transport=$3 status=0 target=()
  shift 3
  if [[ $transport == udp ]]; then target=(--target "udp://127.0.0.1:{port}"); server="$server --udp"; fi
  run_bounded $((find_seconds + 60)) "$sockspec" fuzz --service any --seeds "$work/seeds" --jobs "$jobs" \
    --max-time "$find_seconds" --max-findings 1 --seed 1 --artifacts "$work/found-$name" \
    --target-cmd "$server --port {port}" "${target[@]}" "$@" >"$work/$name.out" 2>"$work/$name.err" || status=$?
  local at
  at=$(sed -n 's/^sockspec fuzz\( \[[0-9]*\/[0-9]*\]\)\{0,1\}: crash after [0-9]* execs (\([0-9.]*\) s).*/\2/p' "$work/$name.err" | head -n 1)
  if ((status == 1)) && [[ -n $at ]]; then
    printf -v "found_$name" '%s' "$at s"
  elif ((status == 0)); then
    printf -v "found_$name" '%s' "not found in $find_seconds s"
  else
    printf -v "found_$name" '%s' "failed (exit $status)"
    tail -n 5 "$work/$name.err" | sed 's/^/    /' >&2
    failed=1
  fi
  echo "    $name: $(eval echo "\$found_$name")"
}


echo "fuzz grey-box: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sr), $jobs cores, rates ${seconds} s, searches up to ${find_seconds} s"
echo "  load average before the run: $(cut -d ' ' -f 1-3 /proc/loadavg)"
reference_rate() {  # NAME SERVER
  measure_rate "$1" --service framed --target-cmd "$2 --listen tcp://127.0.0.1:{port} --service framed"
}
victim_rate() {  # NAME SERVER
  measure_rate "$1" --service any --seeds "$work/seeds" --target-cmd "$2 --port {port} --no-crash"
}

echo "[1/10] raw loopback limit (before)"
measure_loopback_limit before "$limit_program" "$seconds"
echo "[2/10] rate: grey-box, instrumented reference server (framed)"
reference_rate grey "$reference_grey"
echo "[3/10] rate: black-box, plain reference server (framed)"
reference_rate black "$reference_plain"
echo "[4/10] rate: grey-box, instrumented victim (any)"
victim_rate victim_grey "$grey"
echo "[5/10] rate: black-box, plain victim (any)"
victim_rate victim_black "$plain"
echo "[6/10] find: grey-box, TCP, --jobs $jobs"
find_crash grey_tcp "$grey" tcp
echo "[7/10] find: grey-box, UDP, --jobs $jobs"
find_crash grey_udp "$grey" udp
echo "[8/10] find: black-box, TCP, plain victim, --jobs $jobs"
find_crash black_tcp "$plain" tcp
echo "[9/10] find: black-box, UDP, plain victim, --jobs $jobs"
find_crash black_udp "$plain" udp
echo "[10/10] raw loopback limit (after)"
measure_loopback_limit after "$limit_program" "$seconds"

limit=$(awk -v a="${limit_before:-}" -v b="${limit_after:-}" 'BEGIN { n = 0; s = 0; if (a != "") { s += a; n++ }
                                                           if (b != "") { s += b; n++ } if (n) printf "%.0f", s / n }')
rate_grey=${rate_grey:-} rate_black=${rate_black:-}
rate_victim_grey=${rate_victim_grey:-} rate_victim_black=${rate_victim_black:-}
[[ -n $limit && -n $rate_grey && -n $rate_black && -n $rate_victim_grey && -n $rate_victim_black ]] || failed=1
grey_black=$(ratio "$rate_grey" "$rate_black")
grey_thousand=$(ratio "$rate_grey" 1000)

echo
echo "results (one run; loopback; $jobs cores; load average now $(cut -d ' ' -f 1 /proc/loadavg)):"
printf '  %-50s %12s\n' "raw loopback limit, round trips/s (before, after)" "${limit_before:-failed}, ${limit_after:-failed}"
printf '  %-50s %12s\n' "grey-box, instrumented reference server, exec/s" "${rate_grey:-failed}"
printf '  %-50s %12s\n' "black-box, plain reference server, exec/s" "${rate_black:-failed}"
printf '  %-50s %12s   goal >= 0.5: %s\n' "grey-box / black-box (exec/s)" "$grey_black" "$(goal "$grey_black" 0.5)"
printf '  %-50s %12s   goal >= 1: %s\n' "grey-box exec/s / 1,000" "$grey_thousand" "$(goal "$grey_thousand" 1)"
printf '  %-50s %12s\n' "grey-box / limit (exec/s)" "$(ratio "$rate_grey" "$limit")"
printf '  %-50s %12s\n' "grey-box, instrumented victim, exec/s" "${rate_victim_grey:-failed}"
printf '  %-50s %12s\n' "black-box, plain victim, exec/s" "${rate_victim_black:-failed}"
printf '  %-50s %12s\n' "victim: grey-box / black-box (exec/s)" "$(ratio "$rate_victim_grey" "$rate_victim_black")"
printf '  %-50s %12s\n' "crash found, grey-box, TCP" "${found_grey_tcp:-failed}"
printf '  %-50s %12s\n' "crash found, grey-box, UDP" "${found_grey_udp:-failed}"
printf '  %-50s %12s\n' "crash found, black-box, TCP" "${found_black_tcp:-failed}"
printf '  %-50s %12s\n' "crash found, black-box, UDP" "${found_black_udp:-failed}"
echo "ratio grey_over_black=$grey_black grey_exec_per_s=$rate_grey black_exec_per_s=$rate_black limit=$limit" \
  "victim_grey_exec_per_s=$rate_victim_grey victim_black_exec_per_s=$rate_victim_black"
((failed)) && exit 1
exit 0
