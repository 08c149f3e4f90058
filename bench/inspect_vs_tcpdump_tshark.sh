#!/usr/bin/env bash
# Capture benchmark: `sockspec inspect` beside `tcpdump -nn -q -r` and `tshark -q -z conv,tcp -r`, all three
# reading the same ~330 MB loopback capture in one run; prints each one's median wall time, throughput (MB/s,
# packets/s) and peak RSS, the ratios, and the goals (inspect >= 2x tcpdump's throughput, >= 10x tshark's).
# Then inspect's peak RSS on synthetic captures: the same packets over 10x the flows, and the same flows with
# 10x the packets, to show what its memory grows with.
#
# The capture is made in a network namespace of the script's own (unshare -n), so lo carries only this
# traffic: the reference echo server under sockspec-echo-load holding many short connections (many flows),
# playing small-message ping-pong (many small packets), and streaming bulk echoes (many full-size packets).
# lo gets an Ethernet MTU (1500) and gso_max_size 1500: by default lo hands tcpdump 64 KiB GSO super-segments
# (53 packets for 4 MiB), which no real link carries; capped, every segment is a real <= 1500-byte packet.
#
# Usage: bench/inspect_vs_tcpdump_tshark.sh [options] [BUILD_DIR]     (default BUILD_DIR: build/default)
#   --runs N          timed runs of each reader; the median is reported (default 3)
#   --bulk-bytes SIZE bulk echo bytes, which set most of the capture's size (default 112MiB)
#   --rate-seconds N  ping-pong window, which sets most of the packet count (default 20)
#   --hold N          short connections held at once, which set the flow count (default 10000)
# The defaults give about 330 MB, 1 M packets and 10,000 flows here (the rate phase's packet count depends on
# how fast the machine plays ping-pong).
#   --strict          exit 1 when a goal is missed
#   -h, --help        this text
# Needs root (network namespace, capture on lo), tcpdump and tshark (bash .ci/setup-debian.sh).
# Exit status: 0 measured (goals reported; see --strict), 1 a step failed or (--strict) a goal was missed,
# 2 bad usage, not root or a missing program. The namespace, every process it started and the capture files
# are removed on every exit path (trap).
# shellcheck disable=SC2317  # functions reached only through `trap` look unreachable to it
set -uo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$script_dir")
usage() { sed -n '2,/^# shellcheck/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() { echo "inspect_vs_tcpdump_tshark: $*" >&2; exit 2; }
fail() { echo "inspect_vs_tcpdump_tshark: $*" >&2; exit 1; }

# --- inside the namespace: make the capture (re-entered by the script itself through unshare -n) ---------
if [[ ${1:-} == --make-capture-inside-namespace ]]; then
  capture=$2 build=$3 bulk_bytes=$4 rate_seconds=$5 hold=$6 work=$7
  server=$build/targets/server/sockspec-server
  load=$build/bench/sockspec-echo-load
  pids=()
  trap 'for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done; wait 2>/dev/null' EXIT
  ip link set lo up && ip link set lo mtu 1500 && ip link set lo gso_max_size 1500 gro_max_size 1500 ||
    fail "cannot set up lo in the namespace"
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  # -B: a 256 MiB kernel buffer, so bulk bursts are not dropped while tcpdump writes to disk.
  tcpdump -i lo -w "$capture" -Z root -B 262144 2>"$work/tcpdump.err" &
  tcpdump_pid=$!
  pids+=("$tcpdump_pid")
  for _ in $(seq 1 100); do grep -q 'listening on' "$work/tcpdump.err" && break; sleep 0.1; done
  grep -q 'listening on' "$work/tcpdump.err" || fail "tcpdump did not start: $(cat "$work/tcpdump.err")"
  "$server" --listen tcp://127.0.0.1:0 --service echo --backlog 4096 >"$work/server.out" 2>"$work/server.err" &
  server_pid=$!
  pids+=("$server_pid")
  url=""
  for _ in $(seq 1 100); do
    url=$(sed -n '1s/^listening //p' "$work/server.out")
    [[ -n $url ]] && break
    sleep 0.1
  done
  [[ -n $url ]] || fail "the reference server did not start: $(cat "$work/server.err")"
  timeout 120 "$load" hold --connect "$url" --connections "$hold" --pid "$server_pid" --settle 0 >/dev/null ||
    fail "echo-load hold failed"
  timeout 60 "$load" rate --connect "$url" --connections 256 --message-size 32 --seconds "$rate_seconds" \
    --warmup 0 >/dev/null || fail "echo-load rate failed"
  timeout 300 "$load" bulk --connect "$url" --connections 4 --bytes "$bulk_bytes" >/dev/null ||
    fail "echo-load bulk failed"
  kill -TERM "$server_pid"
  sleep 0.5  # the FINs and last ACKs of the server's close
  kill -INT "$tcpdump_pid"
  for _ in $(seq 1 100); do kill -0 "$tcpdump_pid" 2>/dev/null || break; sleep 0.1; done
  wait "$tcpdump_pid" || fail "tcpdump failed: $(cat "$work/tcpdump.err")"
  grep 'dropped by kernel' "$work/tcpdump.err" | sed 's/^/  tcpdump: /'
  exit 0
fi

# --- outside: options, checks, the capture, then the measurements ---------------------------------------
build="" runs=3 bulk_bytes=112MiB rate_seconds=20 hold=10000 strict=0
while (($# > 0)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --runs) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--runs needs a positive count"; runs=$2; shift ;;
    --bulk-bytes) [[ ${2:-} =~ ^[0-9]+([KMG]i?B?)?$ ]] || die "--bulk-bytes needs a size like 128MiB"; bulk_bytes=$2; shift ;;
    --rate-seconds) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--rate-seconds needs a positive count"; rate_seconds=$2; shift ;;
    --hold) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--hold needs a positive count"; hold=$2; shift ;;
    --strict) strict=1 ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) [[ -z $build ]] || die "one build directory only (got '$build' and '$1')"; build=$1 ;;
  esac
  shift
done
build=$(cd "${build:-$repo/build/default}" 2>/dev/null && pwd) || die "no build directory ${build:-$repo/build/default}"
[[ $(id -u) -eq 0 ]] || die "needs root: the capture is made in a network namespace of its own, with tcpdump on lo"
for program in tcpdump tshark capinfos unshare ip; do
  command -v "$program" >/dev/null || die "$program is not installed: bash $repo/.ci/setup-debian.sh"
done
sockspec=$build/harness/sockspec
measure=$build/bench/sockspec-measure
synthetic=$build/bench/sockspec-synthetic-pcap
for program in "$sockspec" "$measure" "$synthetic" "$build/bench/sockspec-echo-load" \
  "$build/targets/server/sockspec-server"; do
  [[ -x $program ]] || die "$program is not built: cmake --build $build --target bench-inspect"
done

work=$(mktemp -d /tmp/sockspec-inspect-bench.XXXXXX)
maker_pid=""
cleanup() {
  [[ -z $maker_pid ]] || kill -KILL -- "-$maker_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "inspect_vs_tcpdump_tshark: interrupted" >&2; exit 130' INT TERM

capture=$work/loopback.pcap
echo "[bench 1/4] capturing on lo in a new network namespace (hold $hold, rate ${rate_seconds}s, bulk $bulk_bytes)"
echo "  load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
# Its own session, so the whole tree (namespace, tcpdump, server, load) can be killed on any exit.
setsid unshare -n "$0" --make-capture-inside-namespace "$capture" "$build" "$bulk_bytes" "$rate_seconds" \
  "$hold" "$work" &
maker_pid=$!
wait "$maker_pid" || fail "making the capture failed"
maker_pid=""

bytes=$(stat -c %s "$capture")
packets=$(capinfos -M -c -T -r "$capture" | cut -f2)
flows=$("$sockspec" inspect --json "$capture" | grep -c '"number"')
echo "  capture: $bytes bytes, $packets packets, $flows TCP/UDP flows"

# median_of FILE FIELD: the median of field=value across the result lines in FILE.
median_of() {
  sed -n "s/.*$2=\([0-9.]*\).*/\1/p" "$1" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
max_of() { sed -n "s/.*$2=\([0-9.]*\).*/\1/p" "$1" | sort -n | tail -n 1; }

# time_reader NAME COMMAND...: runs COMMAND $runs times through sockspec-measure (stdout to /dev/null).
time_reader() {
  local name=$1
  shift
  : >"$work/$name.results"
  for run in $(seq 1 "$runs"); do
    "$measure" "$@" >>"$work/$name.results" 2>"$work/$name.err" || fail "$name: could not run $*"
    grep -q 'exit=0' <(tail -n 1 "$work/$name.results") ||
      fail "$name exited with an error (run $run): $(tail -n 1 "$work/$name.results") $(head -c 400 "$work/$name.err")"
  done
  echo "  $name: $(tr '\n' ' ' <"$work/$name.results" | sed 's/result //g')"
}

echo "[bench 2/4] reading it: $runs runs of each reader, back to back (inspect, tcpdump, tshark)"
time_reader inspect "$sockspec" inspect --json "$capture"
time_reader tcpdump tcpdump -nn -q -r "$capture"
time_reader tshark tshark -q -z conv,tcp -r "$capture"

echo "[bench 3/4] inspect's peak memory on synthetic captures"
# name flows packets: the base, 10x the flows, 10x the packets (2M packets of 154 bytes: a 340 MB file).
for shape in "base 2000 200000" "flows10x 20000 200000" "packets10x 2000 2000000"; do
  read -r name shape_flows shape_packets <<<"$shape"
  "$synthetic" --flows "$shape_flows" --packets "$shape_packets" --out "$work/$name.pcap" ||
    fail "sockspec-synthetic-pcap failed"
  "$measure" "$sockspec" inspect --json "$work/$name.pcap" >"$work/mem-$name.results" || fail "inspect $name"
  echo "  $name ($shape_flows flows, $shape_packets packets): $(sed 's/result //' "$work/mem-$name.results")"
  rm -f "$work/$name.pcap"
done

echo "[bench 4/4] results"
awk -v bytes="$bytes" -v packets="$packets" -v strict="$strict" \
  -v i_ms="$(median_of "$work/inspect.results" wall_ms)" -v i_kib="$(max_of "$work/inspect.results" max_rss_kib)" \
  -v d_ms="$(median_of "$work/tcpdump.results" wall_ms)" -v d_kib="$(max_of "$work/tcpdump.results" max_rss_kib)" \
  -v s_ms="$(median_of "$work/tshark.results" wall_ms)" -v s_kib="$(max_of "$work/tshark.results" max_rss_kib)" \
  -v m1="$(max_of "$work/mem-base.results" max_rss_kib)" \
  -v m2="$(max_of "$work/mem-flows10x.results" max_rss_kib)" \
  -v m3="$(max_of "$work/mem-packets10x.results" max_rss_kib)" '
  function row(name, ms, kib) {
    printf "  %-34s %10.0f %10.1f %12.0f %12.0f\n", name, ms, bytes / 1e6 / (ms / 1000), packets / (ms / 1000), kib
  }
  BEGIN {
    printf "  %-34s %10s %10s %12s %12s\n", "reader (median wall time)", "ms", "MB/s", "packets/s", "max RSS KiB"
    row("sockspec inspect --json", i_ms, i_kib)
    row("tcpdump -nn -q -r", d_ms, d_kib)
    row("tshark -q -z conv,tcp -r", s_ms, s_kib)
    rd = d_ms / i_ms; rs = s_ms / i_ms
    gd = rd >= 2 ? "met" : "MISSED"; gs = rs >= 10 ? "met" : "MISSED"
    printf "  inspect/tcpdump throughput %.2f (goal >= 2: %s); inspect/tshark %.2f (goal >= 10: %s)\n", rd, gd, rs, gs
    printf "  inspect max RSS KiB: 2k flows x 200k packets %d; 10x the flows %d; 10x the packets %d\n", m1, m2, m3
    printf "ratio tcpdump=%.2f tshark=%.2f\n", rd, rs
    printf "memory flows10x=%.2f packets10x=%.2f\n", m2 / m1, m3 / m1
    printf "goal tcpdump=%s tshark=%s\n", gd, gs
    exit (strict && (gd != "met" || gs != "met")) ? 1 : 0
  }'
