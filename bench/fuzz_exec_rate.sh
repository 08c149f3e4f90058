#!/usr/bin/env bash
# The server_stream fuzzer's exec/s beside the raw loopback limit, measured in one run:
#   limit    bench/loopback_round_trips: one thread, the in-process reference echo server, per round trip a
#            fresh TCP connection on 127.0.0.1, one 32-byte echo, the client's close (RST, as the fuzzer
#            cleans up) and the server's close. Measured before and after the fuzzer; the mean is the limit.
#   fuzzer   server_stream_fuzzer fuzzing for the same time, starting from a copy of corpus/server_stream/
#            with the flags of corpus/server_stream.options; exec/s from libFuzzer's final stats.
# Goals (issue #5): fuzzer >= 0.5 x limit, and >= 5000 exec/s, judged on the wall-clock rates. Each rate is
# also printed per CPU second the program used (user + system, from `times`), which other work on the
# machine skews far less: on a busy machine the two wall-clock measurements get different shares of it.
#
# Usage: bench/fuzz_exec_rate.sh [options]
#   --seconds N        each measurement's length (default 20)
#   --build DIR        the g++ build with bench/loopback_round_trips (default build/default)
#   --fuzz-build DIR   the fuzz preset's build with fuzz/server_stream_fuzzer (default build/fuzz)
#   --strict           exit 1 when a goal is missed, not only when a measurement fails
#   -h, --help         this text
# Exit status: 0 all measured (goals are reported, see --strict), 1 a measurement failed (or the fuzzer
# found something: its input and message are printed) or (--strict) a goal was missed, 2 bad usage or
# missing programs. The fuzzer's corpus copy and artifacts live in a temporary folder, removed on exit.
set -uo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$script_dir")

# shellcheck disable=SC2034  # read by bench/lib.sh
bench_name=fuzz_exec_rate
# shellcheck source=bench/lib.sh
source "$script_dir/lib.sh"

seconds=20
build=$repo/build/default
fuzz_build=$repo/build/fuzz
strict=0
while (($# > 0)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --seconds) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--seconds needs a whole number of seconds"; seconds=$2; shift ;;
    --build) [[ $# -ge 2 ]] || die "--build needs a directory"; build=$2; shift ;;
    --fuzz-build) [[ $# -ge 2 ]] || die "--fuzz-build needs a directory"; fuzz_build=$2; shift ;;
    --strict) strict=1 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done

limit_program=$build/bench/loopback_round_trips
fuzzer=$fuzz_build/fuzz/server_stream_fuzzer
corpus=$repo/corpus/server_stream
options_file=$repo/corpus/server_stream.options
[[ -x $limit_program ]] || die "$limit_program is not built: cmake --build $build --target loopback_round_trips"
[[ -x $fuzzer ]] || die "$fuzzer is not built: cmake --preset fuzz && cmake --build --preset fuzz --target server_stream_fuzzer"
[[ -d $corpus ]] || die "no corpus at $corpus"

bench_work_dir sockspec-fuzz-rate

# children_cpu VAR: sets VAR to the user + system seconds used so far by this shell's reaped children and
# theirs (bash's `times`, which must run in this shell, not in a $(...) subshell).
children_cpu() {
  times >"$work/times"
  printf -v "$1" '%s' "$(tail -n 1 "$work/times" | awk '{ t = 0; for (i = 1; i <= 2; i++) {
    split($i, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2] } printf "%.3f", t }')"
}

# run_timed SECONDS COMMAND...: run_bounded (lib.sh), setting $cpu_used to the command's CPU seconds.
run_timed() {
  local status=0 before after
  children_cpu before
  run_bounded "$@" || status=$?
  children_cpu after
  cpu_used=$(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.3f", b - a }')
  return $status
}

# libFuzzer flags from the .options file (ClusterFuzzLite's INI layout: "[libfuzzer]" then "key = value").
flags=()
if [[ -f $options_file ]]; then
  while IFS='=' read -r key value; do
    key=$(tr -d ' ' <<<"$key") value=$(sed 's/^ *//; s/ *$//' <<<"$value")
    [[ -z $key || $key == \[* || $key == \#* ]] && continue
    flags+=("-$key=$value")
  done <"$options_file"
fi
# The dictionary goes by name, corpus/<target>.dict, as for the smoke run and ClusterFuzzLite.
[[ -f $repo/corpus/server_stream.dict ]] && flags+=("-dict=$repo/corpus/server_stream.dict")

# per_cpu COUNT CPU_SECONDS: COUNT per CPU second, "" when either is missing or zero.
per_cpu() { awk -v n="$1" -v c="$2" 'BEGIN { if (n == "" || c == "" || c + 0 == 0) print ""; else printf "%.0f", n / c }'; }

measure_limit() {  # NAME: runs the loopback program, stores its rate in limit_NAME, per CPU s in limit_cpu_NAME
  local name=$1
  if run_timed $((seconds + 30)) "$limit_program" --seconds "$seconds" >"$work/limit-$name.out" 2>&1; then
    sed 's/^/    /' "$work/limit-$name.out"
    printf -v "limit_$name" '%s' "$(sed -n 's/^result .* rate=\([0-9]*\).*/\1/p' "$work/limit-$name.out")"
    local trips
    trips=$(sed -n 's/^result .* round_trips=\([0-9]*\).*/\1/p' "$work/limit-$name.out")
    printf -v "limit_cpu_$name" '%s' "$(per_cpu "$trips" "$cpu_used")"
    echo "    CPU: ${cpu_used} s"
  else
    sed 's/^/    /' "$work/limit-$name.out"
    echo "fuzz_exec_rate: the loopback measurement failed" >&2
    printf -v "limit_$name" '%s' ""
    printf -v "limit_cpu_$name" '%s' ""
  fi
}

cores=$(nproc)
echo "fuzz exec rate: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sr), $cores cores, ${seconds} s per measurement"
echo "  load average before the run: $(cut -d ' ' -f 1-3 /proc/loadavg)"
echo "  fuzzer flags: ${flags[*]:-(none)}"

echo "[1/3] raw loopback limit (before)"
measure_limit before
echo "[2/3] server_stream_fuzzer for ${seconds} s over a copy of its corpus"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$corpus"/* "$work/corpus/"
fuzz_status=0
run_timed $((seconds + 60)) "$fuzzer" "${flags[@]}" -max_total_time="$seconds" -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/fuzzer.out" 2>&1 || fuzz_status=$?
grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$work/fuzzer.out" | sed 's/^/    /'
exec_rate=$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*\([0-9]*\).*/\1/p' "$work/fuzzer.out" | tail -n 1)
executed=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*\([0-9]*\).*/\1/p' "$work/fuzzer.out" | tail -n 1)
fuzz_cpu=$cpu_used
echo "    CPU: ${fuzz_cpu} s"
exec_per_cpu=$(per_cpu "$executed" "$fuzz_cpu")
failed=0
if ((fuzz_status != 0)); then
  failed=1
  echo "fuzz_exec_rate: the fuzzer exited with status $fuzz_status; its last lines:" >&2
  grep -E 'check failed|ERROR|SUMMARY|artifact|Test unit written' "$work/fuzzer.out" | head -n 20 | sed 's/^/    /' >&2
  for artifact in "$work"/artifacts/*; do
    [[ -f $artifact ]] || continue
    echo "    input (hex): $(od -An -tx1 -v "$artifact" | tr -d '\n' | head -c 600)" >&2
  done
fi
echo "[3/3] raw loopback limit (after)"
measure_limit after

# mean A B: the mean of the figures present, "" when neither is.
mean() { awk -v a="$1" -v b="$2" 'BEGIN { n = 0; s = 0; if (a != "") { s += a; n++ } if (b != "") { s += b; n++ }
                                          if (n) printf "%.0f", s / n }'; }
limit=$(mean "$limit_before" "$limit_after")
limit_per_cpu=$(mean "$limit_cpu_before" "$limit_cpu_after")
ratio_per_cpu=$(awk -v a="$exec_per_cpu" -v b="$limit_per_cpu" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }')
ratio=$(awk -v a="$exec_rate" -v b="$limit" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }')
ratio_goal=$(awk -v r="$ratio" 'BEGIN { if (r == "n/a") print "n/a"; else print (r + 0 >= 0.5 ? "met" : "MISSED") }')
rate_goal=$(awk -v a="$exec_rate" 'BEGIN { if (a == "") print "n/a"; else print (a + 0 >= 5000 ? "met" : "MISSED") }')
[[ -n $exec_rate && -n $limit ]] || failed=1

echo
echo "results (one run; loopback; $cores cores; load average now $(cut -d ' ' -f 1 /proc/loadavg)):"
printf '  %-46s %10s\n' "raw loopback limit, round trips/s (before)" "${limit_before:-failed}"
printf '  %-46s %10s\n' "raw loopback limit, round trips/s (after)" "${limit_after:-failed}"
printf '  %-46s %10s   (%s inputs)\n' "server_stream_fuzzer, exec/s" "${exec_rate:-failed}" "${executed:-?}"
printf '  %-46s %10s   goal >= 0.5: %s\n' "fuzzer / limit" "$ratio" "$ratio_goal"
printf '  %-46s %10s   goal >= 5000: %s\n' "fuzzer exec/s" "${exec_rate:-failed}" "$rate_goal"
printf '  %-46s %10s\n' "raw loopback limit, round trips per CPU s" "${limit_per_cpu:-n/a}"
printf '  %-46s %10s\n' "server_stream_fuzzer, exec per CPU s" "${exec_per_cpu:-n/a}"
printf '  %-46s %10s\n' "fuzzer / limit, per CPU s" "$ratio_per_cpu"
echo "ratio fuzzer_over_limit=$ratio per_cpu=$ratio_per_cpu exec_per_s=${exec_rate:-} limit=${limit:-}"
echo "goal ratio=$ratio_goal rate=$rate_goal"
if awk -v load="$(cut -d ' ' -f 1 /proc/loadavg)" -v cores="$cores" 'BEGIN { exit !(load > cores) }'; then
  echo "  note: the machine is busy (load average above $cores): both figures are low, the ratio less so."
fi
((failed)) && exit 1
if ((strict)) && [[ $ratio_goal != met || $rate_goal != met ]]; then exit 1; fi
exit 0
