#!/usr/bin/env bash
# Times the default scenario suite: wall time per run, time per check, and the slowest checks, over several
# runs taken back to back (the machine is shared: compare figures from one run of this script only).
#   bash bench/suite_wall_time.sh [--runs N] [--jobs N] [BUILD_DIR]   (defaults: 5 runs, sockspec's own -j, build/default)
# Goal (issue #3): the whole suite under 2 s on 2 cores. Exit 0 when every run passed, 1 otherwise.
set -euo pipefail

runs=5
jobs=""
build=build/default
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    -h | --help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "suite_wall_time.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) build=$1; shift ;;
  esac
done
sockspec=$build/harness/sockspec
[[ -x $sockspec ]] || { echo "suite_wall_time.sh: $sockspec is not built" >&2; exit 2; }

work=$(mktemp -d /tmp/sockspec-suite-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

checks=$("$sockspec" run --list | wc -l)
echo "default suite: $checks checks, $runs runs, -j ${jobs:-default}, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
times=()
for i in $(seq 1 "$runs"); do
  start=$(date +%s%N)
  "$sockspec" run ${jobs:+-j "$jobs"} --color never --report json --out "$work/run-$i.json" >"$work/run-$i.txt" || status=1
  end=$(date +%s%N)
  ms=$(((end - start) / 1000000))
  times+=("$ms")
  echo "run $i: ${ms} ms wall, $(tail -n +1 "$work/run-$i.txt" | grep -E '^[0-9]+ passed' | head -1)"
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(echo "$sorted" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "median wall time: ${median} ms; per check: $(awk -v m="$median" -v c="$checks" 'BEGIN {printf "%.2f", m / c}') ms"
echo "goal: whole suite < 2000 ms on 2 cores: $(awk -v m="$median" 'BEGIN {print (m < 2000) ? "met" : "missed"}') (ratio $(awk -v m="$median" 'BEGIN {printf "%.2f", m / 2000}') of the budget)"
echo "slowest checks in the last run (ms):"
python3 - "$work/run-$runs.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for s in sorted(doc["scenarios"], key=lambda s: -s["duration_ms"])[:5]:
    print(f"  {s['duration_ms']:8.1f}  {s['id']}")
PY
exit "$status"
