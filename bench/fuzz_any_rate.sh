#!/usr/bin/env bash
# `sockspec fuzz --service any` against the reference echo server, beside `--service echo` against the same
# server and the raw loopback limit, all measured in one run (the machine is shared: compare figures from one
# run only):
#   limit   bench/loopback_round_trips: one thread, per round trip a fresh TCP connection on 127.0.0.1, one
#           32-byte echo and both closes. Measured before and after the fuzzers; the mean is the limit.
#   echo    sockspec fuzz --service echo --target-cmd "sockspec-server ... --service echo", for the same time.
#   any     sockspec fuzz --service any, same server, same time: exec/s, and messages/s (an `any` input is a
#           conversation of up to 16 messages, each awaiting its reply; echo's is one payload).
#   jobs    the same with --jobs $(nproc): a worker and a server per core (no goal; what the cores add).
# Goals (issue #14): any >= 0.5 x limit, and any >= 0.8 x echo, on exec/s. Both are printed on messages/s too.
#
# Usage: bench/fuzz_any_rate.sh [--seconds N] [--build DIR] [--strict]
#   --seconds N   each measurement's length (default 20)
#   --build DIR   the build with harness/sockspec, targets/server/sockspec-server and
#                 bench/loopback_round_trips (default build/default)
#   --strict      exit 1 when a goal is missed, not only when a measurement fails
# Exit status: 0 all measured, 1 a measurement failed (or, with --strict, a goal was missed), 2 bad usage or
# missing programs. Reproducer folders and logs live in a temporary folder, removed on exit.
set -uo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$script_dir")
# shellcheck disable=SC2034  # read by bench/lib.sh
bench_name=fuzz_any_rate
# shellcheck source=bench/lib.sh
source "$script_dir/lib.sh"

seconds=20
build=$repo/build/default
strict=0
while (($# > 0)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --seconds) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--seconds needs a whole number of seconds"; seconds=$2; shift ;;
    --build) [[ $# -ge 2 ]] || die "--build needs a directory"; build=$2; shift ;;
    --strict) strict=1 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done

sockspec=$build/harness/sockspec
server=$build/targets/server/sockspec-server
limit_program=$build/bench/loopback_round_trips
for program in "$sockspec" "$server" "$limit_program"; do
  [[ -x $program ]] || die "$program is not built: cmake --build $build"
done
server=$(realpath "$server")

bench_work_dir sockspec-fuzz-any-rate

failed=0

measure_fuzz() {  # NAME SERVICE [JOBS]: sets execs_NAME and messages_NAME (per second; "" when it failed)
  local name=$1 service=$2 jobs=${3:-1} status=0
  run_bounded $((seconds + 60)) "$sockspec" fuzz --service "$service" --jobs "$jobs" --max-time "$seconds" \
    --artifacts "$work/artifacts-$name" \
    --target-cmd "$server --listen tcp://127.0.0.1:{port} --service echo" >"$work/$name.out" 2>"$work/$name.err" ||
    status=$?
  grep -E '^sockspec fuzz: (done|interrupted|[0-9]+ messages)' "$work/$name.err" | sed 's/^/    /'
  if ((status != 0)); then
    echo "fuzz_any_rate: sockspec fuzz --service $service --jobs $jobs exited $status (a finding in a correct server?):" >&2
    tail -n 5 "$work/$name.err" | sed 's/^/    /' >&2
    failed=1
  fi
  printf -v "execs_$name" '%s' "$(sed -n 's/^sockspec fuzz: done: .* (\([0-9]*\) exec\/s).*/\1/p' "$work/$name.err")"
  printf -v "messages_$name" '%s' "$(sed -n 's/^sockspec fuzz: [0-9]* messages (\([0-9]*\)\/s).*/\1/p' "$work/$name.err")"
}


echo "fuzz any rate: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sr), $(nproc) cores, ${seconds} s per measurement"
echo "  load average before the run: $(cut -d ' ' -f 1-3 /proc/loadavg)"
echo "[1/5] raw loopback limit (before)"
measure_loopback_limit before "$limit_program" "$seconds"
sed 's/^/    /' "$work/limit-before.out"
echo "[2/5] sockspec fuzz --service echo"
measure_fuzz echo echo
echo "[3/5] sockspec fuzz --service any"
measure_fuzz any any
echo "[4/5] sockspec fuzz --service any --jobs $(nproc)"
measure_fuzz jobs any "$(nproc)"
echo "[5/5] raw loopback limit (after)"
measure_loopback_limit after "$limit_program" "$seconds"
sed 's/^/    /' "$work/limit-after.out"

limit=$(awk -v a="$limit_before" -v b="$limit_after" 'BEGIN { n = 0; s = 0; if (a != "") { s += a; n++ }
                                                           if (b != "") { s += b; n++ } if (n) printf "%.0f", s / n }')
execs_echo=${execs_echo:-} execs_any=${execs_any:-} messages_any=${messages_any:-}
[[ -n $limit && -n $execs_echo && -n $execs_any ]] || failed=1
any_limit=$(ratio "$execs_any" "$limit")
any_echo=$(ratio "$execs_any" "$execs_echo")

echo
echo "results (one run; loopback; $(nproc) cores; load average now $(cut -d ' ' -f 1 /proc/loadavg)):"
printf '  %-52s %10s\n' "raw loopback limit, round trips/s (before, after)" "${limit_before:-failed}, ${limit_after:-failed}"
printf '  %-52s %10s\n' "fuzz --service echo, exec/s" "${execs_echo:-failed}"
printf '  %-52s %10s\n' "fuzz --service any, exec/s" "${execs_any:-failed}"
printf '  %-52s %10s\n' "fuzz --service any, messages/s" "${messages_any:-failed}"
printf '  %-52s %10s\n' "fuzz --service any --jobs $(nproc), exec/s; messages/s" "${execs_jobs:-failed}; ${messages_jobs:-failed}"
printf '  %-52s %10s   goal >= 0.5: %s\n' "any / limit (exec/s)" "$any_limit" "$(goal "$any_limit" 0.5)"
printf '  %-52s %10s   goal >= 0.8: %s\n' "any / echo (exec/s)" "$any_echo" "$(goal "$any_echo" 0.8)"
printf '  %-52s %10s\n' "any / limit (messages/s)" "$(ratio "$messages_any" "$limit")"
printf '  %-52s %10s\n' "any / echo (messages/s against echo's exec/s)" "$(ratio "$messages_any" "$execs_echo")"
echo "ratio any_over_limit=$any_limit any_over_echo=$any_echo any_exec_per_s=$execs_any any_messages_per_s=$messages_any echo_exec_per_s=$execs_echo limit=$limit"
((failed)) && exit 1
if ((strict)) && [[ $(goal "$any_limit" 0.5) != met || $(goal "$any_echo" 0.8) != met ]]; then exit 1; fi
exit 0
