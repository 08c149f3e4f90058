#!/usr/bin/env bash
# Echo benchmark: the reference server beside socat (TCP-LISTEN:PORT,fork EXEC:cat), measured in one run on
# loopback with sockspec-echo-load, printed as a table with the ratios and the goals:
#   small-message rate, 64 connections ping-pong    goal: server >= 2x socat
#   bulk echo throughput, 1 connection              (ratio only)
#   connections held, and server memory each        goal: 10000 held at <= 16 KiB each (RSS growth / held)
# Each server is started fresh, measured (hold first, then rate, then bulk) and stopped before the next.
#
# Usage: bench/run_echo_bench.sh [options] [BUILD_DIR]     (default BUILD_DIR: build/default)
#   --build-dir DIR     the CMake build tree holding bench/ and targets/server/ (same as BUILD_DIR)
#   --server PATH       use PATH as the reference server (same command line as sockspec-server)
#   --seconds N         rate: measured window per server (default 3)
#   --bulk-bytes SIZE   bulk: bytes to echo per server (default 256MiB)
#   --hold N            hold: connections for the reference server (default 10000)
#   --socat-hold N      hold: connections for socat, which forks two processes per connection (default 500)
#   --strict            exit 1 when a goal is missed, not only when a measurement fails
#   -h, --help          this text
# Exit status: 0 all measured (goals are reported, see --strict), 1 a measurement failed or (--strict) a goal
# was missed, 2 bad usage or missing programs. Leaves no process behind: each server runs in its own process
# group, which is terminated (then killed) on every exit path.
# shellcheck disable=SC2317  # functions reached only through `trap` and `$start` look unreachable to it
set -uo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$script_dir")
# shellcheck source=bench/listening_url.sh
source "$script_dir/listening_url.sh"

usage() { sed -n '2,/^# shellcheck/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() { echo "run_echo_bench: $*" >&2; exit 2; }

build=""
server=""
rate_seconds=3
rate_connections=64
message_size=32
bulk_bytes=256MiB
bulk_connections=1
server_hold=10000
socat_hold=500
strict=0
while (($# > 0)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --build-dir) [[ $# -ge 2 ]] || die "--build-dir needs a directory"; build=$2; shift ;;
    --server) [[ $# -ge 2 ]] || die "--server needs a path"; server=$2; shift ;;
    --seconds) [[ ${2:-} =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--seconds needs a number"; rate_seconds=$2; shift ;;
    --bulk-bytes) [[ ${2:-} =~ ^[0-9]+([KMG]i?B?)?$ ]] || die "--bulk-bytes needs a size like 256MiB"; bulk_bytes=$2; shift ;;
    --hold) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--hold needs a positive count"; server_hold=$2; shift ;;
    --socat-hold) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--socat-hold needs a positive count"; socat_hold=$2; shift ;;
    --strict) strict=1 ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) [[ -z $build ]] || die "one build directory only (got '$build' and '$1')"; build=$1 ;;
  esac
  shift
done
build=${build:-$repo/build/default}
load=$build/bench/sockspec-echo-load
server=${server:-$build/targets/server/sockspec-server}
[[ -x $load ]] || die "$load is not built: cmake --build $build --target sockspec-echo-load"
[[ -x $server ]] || die "$server is not built: cmake --build $build --target sockspec-server"
command -v socat >/dev/null || die "socat is not installed: bash $repo/.ci/setup-debian.sh --bench"

# The server holds one descriptor per connection, the load generator as many again; both inherit this.
wanted_files=65536
file_note="open-file limit raised to $wanted_files"
if ! ulimit -n "$wanted_files" 2>/dev/null; then
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  file_note="could not raise the open-file limit to $wanted_files (hard limit $(ulimit -Hn)); using $(ulimit -n)"
fi
if (($(ulimit -n) < server_hold + 64)); then
  file_note="$file_note -- too low to hold $server_hold connections: hold will stop with EMFILE"
fi

work=$(mktemp -d /tmp/sockspec-bench.XXXXXX)
groups=()     # process groups started and not yet stopped
load_pid=""  # the load generator while it runs
cleanup() {
  local group
  [[ -z $load_pid ]] || kill -TERM "$load_pid" 2>/dev/null
  for group in "${groups[@]}"; do kill -KILL -- "-$group" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "run_echo_bench: interrupted; stopping the servers" >&2; exit 130' INT TERM

step=0
steps=8
progress() { step=$((step + 1)); echo "[bench $step/$steps] $*"; }

# start_group OUT ERR COMMAND...: runs COMMAND in a new session and process group; sets $group_pid.
start_group() {
  local out=$1 err=$2
  shift 2
  setsid "$@" >"$out" 2>"$err" &
  group_pid=$!
  groups+=("$group_pid")
  # Without job control setsid execs in place, so the program's pid is its group id; make sure of it.
  local pgid
  for _ in $(seq 1 50); do
    pgid=$(ps -o pgid= -p "$group_pid" 2>/dev/null | tr -d ' ')
    [[ $pgid == "$group_pid" || -z $pgid ]] && return 0
    sleep 0.02
  done
  echo "run_echo_bench: $1 did not get its own process group (pgid $pgid)" >&2
  return 1
}

# stop_group PID: SIGTERM to the group, up to 5 s to exit, then SIGKILL; reaps PID. Sets $stop_status.
stop_group() {
  local pid=$1 group
  kill -TERM -- "-$pid" 2>/dev/null
  for _ in $(seq 1 100); do
    kill -0 -- "-$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL -- "-$pid" 2>/dev/null
  stop_status=0
  wait "$pid" 2>/dev/null || stop_status=$?
  local kept=()
  for group in "${groups[@]}"; do [[ $group == "$pid" ]] || kept+=("$group"); done
  groups=("${kept[@]}")
}

# port_listening PORT: true when 127.0.0.1:PORT is in LISTEN state (state 0A in /proc/net/tcp).
port_listening() {
  local hex
  hex=$(printf '%04X' "$1")
  awk -v want="0100007F:$hex" '$2 == want && $4 == "0A" { found = 1 } END { exit !found }' /proc/net/tcp
}

# start_reference: the reference server; sets $target_pid and $target_url.
start_reference() {
  start_group "$work/server.out" "$work/server.err" "$server" --listen tcp://127.0.0.1:0 --service echo \
    --backlog 1024 || return 1
  target_pid=$group_pid
  target_url=$(await_listening_url "$work/server.out" "$target_pid") && return 0
  echo "run_echo_bench: the server printed no 'listening URL' line within 10 s; stderr:" >&2
  sed 's/^/  /' "$work/server.err" >&2
  return 1
}

# start_socat: socat on a free port (retried: another program may take the port between the two steps).
start_socat() {
  local port attempt
  for attempt in 1 2 3; do
    port=$("$load" free-port) || return 1
    start_group "$work/socat.out" "$work/socat.err" socat \
      "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,backlog=1024" EXEC:cat || return 1
    target_pid=$group_pid
    target_url=tcp://127.0.0.1:$port
    for _ in $(seq 1 200); do  # up to 10 s to listen
      port_listening "$port" && return 0
      kill -0 "$target_pid" 2>/dev/null || break
      sleep 0.05
    done
    stop_group "$target_pid"
    echo "run_echo_bench: socat did not listen on port $port (attempt $attempt): $(head -c 300 "$work/socat.err")" >&2
  done
  return 1
}

# measure NAME MODE ARGS...: runs one mode of the load generator, echoing its output indented; stores its
# "result" line in results[NAME] ("" when none). Returns the load generator's status.
declare -A results
measure() {
  local name=$1 mode=$2
  shift 2
  local status=0
  # The load generator bounds itself (--deadline); timeout(1) is the backstop should it not. It runs in the
  # background so that a signal to this script is handled at once (bash runs traps only between commands,
  # and `wait` is interrupted by them).
  timeout -k 5 400 "$load" "$mode" --connect "$target_url" --deadline 300 "$@" >"$work/$name.out" 2>&1 &
  load_pid=$!
  wait "$load_pid" || status=$?
  load_pid=""
  sed 's/^/    /' "$work/$name.out"
  results[$name]=$(grep '^result ' "$work/$name.out" | tail -n 1)
  return $status
}

# field NAME KEY: the value of KEY in results[NAME], or "" when absent.
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"${results[$1]:-}"; }

failures=0
# bench_target LABEL START_FUNCTION HOLD_COUNT: one server through hold, rate and bulk.
bench_target() {
  local label=$1 start=$2 hold=$3
  progress "$label: start, then hold $hold connections (each proven by one echo) and read its memory"
  if ! $start; then
    echo "run_echo_bench: could not start $label" >&2
    failures=$((failures + 1))
    step=$((step + 3))
    return
  fi
  echo "    $label: pid $target_pid at $target_url"
  measure "$label-hold" hold --connections "$hold" --pid "$target_pid" || failures=$((failures + 1))
  progress "$label: rate, $rate_connections connections ping-pong $message_size-byte messages for $rate_seconds s"
  measure "$label-rate" rate --connections "$rate_connections" --message-size "$message_size" \
    --seconds "$rate_seconds" || failures=$((failures + 1))
  progress "$label: bulk, $bulk_bytes echoed over $bulk_connections connection(s)"
  measure "$label-bulk" bulk --connections "$bulk_connections" --bytes "$bulk_bytes" || failures=$((failures + 1))
  progress "$label: stop (SIGTERM to its process group)"
  stop_group "$target_pid"
  exits[$label]=$stop_status
}

declare -A exits
cores=$(nproc)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo "echo benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sr), $cores cores (${cpu:-unknown CPU})"
echo "  server: $server"
echo "  socat:  $(command -v socat) ($(socat -V 2>/dev/null | sed -n 's/^socat version \([^ ]*\).*/\1/p'))"
echo "  $file_note"
# Other work on the machine skews one server's figures and not the other's: show how busy it was before the
# bench added its own load (well above 0 on an idle machine means the ratios are noisier than usual).
load_before=$(cut -d ' ' -f 1 /proc/loadavg)
echo "  load average before the run: $(cut -d ' ' -f 1-3 /proc/loadavg)"

bench_target server start_reference "$server_hold"
bench_target socat start_socat "$socat_hold"

# ratio A B: A / B to two decimals, "n/a" when either is missing or B is zero.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
# at_least A B / at_most A B: "met" or "MISSED" ("n/a" when A is missing).
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || a == "n/a") print "n/a"; else print (a + 0 >= b + 0 ? "met" : "MISSED") }'; }
at_most() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "") print "n/a"; else print (a + 0 <= b + 0 ? "met" : "MISSED") }'; }
or_failed() { if [[ -n $1 ]]; then echo "$1"; else echo "failed"; fi; }

s_rate=$(field server-rate rate) c_rate=$(field socat-rate rate)
s_bulk=$(field server-bulk mib_per_s) c_bulk=$(field socat-bulk mib_per_s)
s_held=$(field server-hold held) c_held=$(field socat-hold held)
s_rss=$(field server-hold rss_kib_per_connection) c_rss=$(field socat-hold rss_kib_per_connection)
s_pss=$(field server-hold pss_kib_per_connection) c_pss=$(field socat-hold pss_kib_per_connection)
rate_ratio=$(ratio "$s_rate" "$c_rate")
bulk_ratio=$(ratio "$s_bulk" "$c_bulk")
rate_goal=$(at_least "$rate_ratio" 2)
if [[ -z $s_held ]]; then
  hold_goal=n/a
elif ((server_hold < 10000)); then
  hold_goal="n/a (asked for $server_hold)"
elif ((s_held >= 10000)) && [[ $(at_most "$s_rss" 16) == met ]]; then
  hold_goal=met
else
  hold_goal=MISSED
fi

echo
echo "results (one run; loopback; $cores cores shared by load generator and server):"
printf '  %-34s %18s %18s %14s  %s\n' "" "reference server" "socat" "server/socat" "goal"
printf '  %-34s %18s %18s %14s  %s\n' "rate, round trips/s ($rate_connections conn)" "$(or_failed "$s_rate")" \
  "$(or_failed "$c_rate")" "$rate_ratio" ">= 2x socat: $rate_goal"
printf '  %-34s %18s %18s %14s  %s\n' "bulk, MiB/s ($bulk_connections conn)" "$(or_failed "$s_bulk")" \
  "$(or_failed "$c_bulk")" "$bulk_ratio" "-"
printf '  %-34s %18s %18s %14s  %s\n' "hold, connections held" "${s_held:-failed} of $server_hold" \
  "${c_held:-failed} of $socat_hold" "-" ">= 10000 held: see below"
printf '  %-34s %18s %18s %14s  %s\n' "hold, KiB/connection (RSS growth)" "$(or_failed "$s_rss")" \
  "$(or_failed "$c_rss")" "-" "<= 16 KiB each"
printf '  %-34s %18s %18s %14s  %s\n' "hold, KiB/connection (PSS growth)" "$(or_failed "$s_pss")" \
  "$(or_failed "$c_pss")" "-" ""
echo "  goal, 10000 connections at <= 16 KiB each (server RSS growth / held): $hold_goal"
echo "  socat is asked to hold only $socat_hold: it forks a socat and execs a cat per connection. Its RSS sum"
echo "  counts shared pages once per process; PSS shares them out and is the fairer socat figure."
echo "  Memory is user space only (RSS/PSS growth of the process tree); kernel socket memory is not counted."
for name in server-hold server-rate server-bulk socat-hold socat-rate socat-bulk; do
  if [[ -z ${results[$name]:-} ]]; then
    echo "  $name: no result (see its output above)"
  elif [[ ${results[$name]} == *"status=failed"* ]]; then
    echo "  $name failed: cause $(field "$name" cause) (the reason is in its output above)"
  fi
done
[[ ${exits[server]:-0} == 0 ]] || echo "  note: the reference server exited with status ${exits[server]} on SIGTERM (expected 0)"
if awk -v load="$load_before" 'BEGIN { exit !(load > 1.0) }'; then
  echo "  note: the machine was busy (load average $load_before before the run). Under contention socat's"
  echo "  ~130 processes win a larger share of the CPU than the single-threaded server does, so the ratios"
  echo "  likely understate the server; run again when the machine is quieter to compare."
fi
echo "ratio rate=$rate_ratio bulk=$bulk_ratio"
echo "goal rate=$rate_goal memory=${hold_goal%% *}"

if ((failures > 0)); then exit 1; fi
if ((strict)) && [[ $rate_goal != met || $hold_goal != met ]]; then exit 1; fi
exit 0
