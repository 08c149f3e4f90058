#!/usr/bin/env bash
# Measures sockspec fuzz against the reference server: the time to find the crash-on-bytes fault (0xDE 0xAD)
# over several runs, and exec/s against the correct echo and framed servers, all in one run of this script
# (the machine is shared: compare figures from one run only).
#   bash bench/blackbox_fuzz.sh [--runs N] [--seconds S] [BUILD_DIR]   (defaults: 5 runs, 10 s, build/default)
# Goal (issue #5): the crash found within 60 s. Exit 0 when every run found it, 1 otherwise.
set -euo pipefail

runs=5
seconds=10
build=build/default
while (($#)); do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    -h | --help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "blackbox_fuzz.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) build=$1; shift ;;
  esac
done
sockspec=$build/harness/sockspec
server=$(realpath "$build/targets/server/sockspec-server")
[[ -x $sockspec && -x $server ]] || { echo "blackbox_fuzz.sh: $build is not built" >&2; exit 2; }

work=$(mktemp -d /tmp/sockspec-fuzz-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "sockspec fuzz: $runs runs against crash-on-bytes, then ${seconds} s per service; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
for i in $(seq 1 "$runs"); do
  rm -rf "$work/findings"
  # stdout: "crash PATH (N bytes, T s, H inputs): DETAIL"; T is the time to find, before shrinking.
  line=$("$sockspec" fuzz --service echo --max-time 60 --max-findings 1 --artifacts "$work/findings" \
           --target-cmd "$server --listen tcp://127.0.0.1:{port} --service echo --fault crash-on-bytes" 2>/dev/null || true)
  if [[ $line =~ ^crash\ .*\ \(([0-9]+)\ bytes,\ ([0-9.]+)\ s, ]]; then
    echo "run $i: crash found in ${BASH_REMATCH[2]} s, shrunk to ${BASH_REMATCH[1]} bytes"
  else
    echo "run $i: crash NOT found within 60 s"
    status=1
  fi
done
for service in echo framed; do
  summary=$("$sockspec" fuzz --service "$service" --max-time "$seconds" --artifacts "$work/clean-$service" \
              --target-cmd "$server --listen tcp://127.0.0.1:{port} --service $service" 2>&1 >/dev/null | tail -1)
  echo "correct $service server: ${summary#sockspec fuzz: }"
done
exit $status
