#!/usr/bin/env bash
# `sockspec fuzz --service any` against real servers from Debian that nobody here wrote, seeded from a capture
# of their ordinary traffic, beside each server's own request rate measured in the same run:
#   redis-server   RESP. Ordinary traffic: redis-cli (PING, SET, GET, INCR, lists, hashes, DEL, ...),
#                  captured by tcpdump on lo. Its rate: redis-benchmark, one client, PING/SET/GET.
#   http.server    python3 -m http.server (HTTP/1.0, one request per connection). Ordinary traffic: GET and
#                  HEAD of a page, of a missing one, with and without headers. Its rate: sequential requests
#                  from one python client, each on a fresh connection.
# Each is fuzzed for --minutes (default 10) with --seeds-from its capture and a --probe. A correct server gives
# no finding: any finding is printed with its detail and reproducer, to be checked by hand (replay).
#
# Usage: bench/fuzz_real_servers.sh [--minutes M] [--build DIR] [--keep DIR] [SERVER...]   (SERVER: redis, http)
#   --minutes M   fuzzing time per server (default 10)
#   --build DIR   the build with harness/sockspec (default build/default)
#   --keep DIR    keep the captures, logs and any reproducers in DIR (default: a temporary folder, removed)
# Needs root (tcpdump on lo), redis-server, redis-cli, redis-benchmark, python3, tcpdump.
# Exit status: 0 measured with no finding; 1 a server gave findings or a measurement failed; 2 bad usage or
# something missing.
set -uo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$script_dir")
# shellcheck disable=SC2034  # read by bench/lib.sh
bench_name=fuzz_real_servers
# shellcheck source=bench/lib.sh
source "$script_dir/lib.sh"

minutes=10
build=$repo/build/default
keep=""
servers=()
while (($# > 0)); do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --minutes) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--minutes needs a whole number"; minutes=$2; shift ;;
    --build) [[ $# -ge 2 ]] || die "--build needs a directory"; build=$2; shift ;;
    --keep) [[ $# -ge 2 ]] || die "--keep needs a directory"; keep=$2; shift ;;
    redis | http) servers+=("$1") ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done
((${#servers[@]} > 0)) || servers=(redis http)
sockspec=$build/harness/sockspec
[[ -x $sockspec ]] || die "$sockspec is not built: cmake --build $build"
for tool in redis-server redis-cli redis-benchmark python3 tcpdump; do
  command -v "$tool" >/dev/null || die "$tool is missing: bash .ci/setup-debian.sh"
done
(($(id -u) == 0)) || die "tcpdump on lo needs root"

if [[ -n $keep ]]; then
  mkdir -p "$keep" || die "cannot make $keep"
  work=$(cd "$keep" && pwd)
else
  work=$(mktemp -d /tmp/sockspec-real-servers.XXXXXX)
fi
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  wait 2>/dev/null
  [[ -n $keep ]] || rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "fuzz_real_servers: interrupted" >&2; exit 130' INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# wait_port PORT: until something accepts on 127.0.0.1:PORT (bounded: 10 s).
wait_port() {
  for _ in $(seq 1 100); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2).close()" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# capture NAME PORT COMMAND...: tcpdump on lo for PORT while COMMAND runs; the pcap is $work/NAME.pcap.
capture() {
  local name=$1 port=$2
  shift 2
  # --immediate-mode: packets as they come (TPACKET_V3 blocks otherwise wait to fill, and SIGINT can end
  # tcpdump before a block is handed over: 0 packets); -Z root: the file written as root wherever $work is.
  tcpdump -i lo -Z root --immediate-mode -s 0 -w "$work/$name.pcap" "tcp port $port" 2>"$work/$name.tcpdump.log" &
  local dump=$!
  pids+=("$dump")
  sleep 1  # tcpdump is listening once it has said so; a second is plenty on an idle machine
  "$@" >"$work/$name.traffic.log" 2>&1
  local status=$?
  sleep 0.5
  kill -INT "$dump" 2>/dev/null
  wait "$dump" 2>/dev/null
  return $status
}

redis_command() { echo "redis-server --port $1 --bind 127.0.0.1 --save '' --appendonly no --protected-mode no"; }

redis_traffic() {
  local port=$1
  for args in "PING" "SET greeting hello" "GET greeting" "INCR visits" "INCRBY visits 5" "LPUSH queue a b c" \
              "LRANGE queue 0 -1" "HSET user:1 name ada lang c" "HGETALL user:1" "EXISTS greeting" "MGET greeting visits" \
              "EXPIRE greeting 100" "TTL greeting" "DEL greeting" "GET greeting" "SADD tags x y" "SMEMBERS tags" \
              "APPEND log line" "STRLEN log" "TYPE queue" "ECHO hi" "DBSIZE"; do
    # shellcheck disable=SC2086
    redis-cli -p "$port" $args || return 1
  done
}

redis_rate() {  # requests/s of one client: redis-benchmark's PING, SET and GET, their mean
  redis-benchmark -p "$1" -c 1 -n 20000 -q -t ping,set,get 2>/dev/null | tr '\r' '\n' |
    awk '/requests per second/ { for (i = 1; i <= NF; i++) if ($i == "requests") { s += $(i - 1); n++ } }
         END { if (n) printf "%.0f", s / n }'
}

http_command() { echo "python3 -m http.server --bind 127.0.0.1 --directory $work/site $1"; }

http_traffic() {
  python3 - "$1" <<'PY'
import sys, urllib.request, urllib.error
base = "http://127.0.0.1:%s" % sys.argv[1]
for method, path, headers in [("GET", "/", {}), ("GET", "/index.html", {"Accept": "text/html"}),
                              ("HEAD", "/index.html", {}), ("GET", "/missing", {}),
                              ("GET", "/index.html", {"Range": "bytes=0-3", "User-Agent": "bench"}),
                              ("GET", "/?q=1", {"Connection": "close"})]:
    try:
        urllib.request.urlopen(urllib.request.Request(base + path, method=method, headers=headers), timeout=5).read()
    except urllib.error.HTTPError:
        pass
PY
}

http_rate() {  # requests/s of one client, a fresh connection each, for 5 s
  python3 - "$1" <<'PY'
import socket, sys, time
end, n = time.monotonic() + 5, 0
while time.monotonic() < end:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
    s.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
    while s.recv(65536):
        pass
    s.close()
    n += 1
print("%.0f" % (n / 5))
PY
}

status=0
results=()
mkdir -p "$work/site" && echo "<html><body>sockspec</body></html>" >"$work/site/index.html"
echo "fuzz real servers: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sr), $(nproc) cores, ${minutes} min each;" \
     "load average $(cut -d ' ' -f 1-3 /proc/loadavg); files in $work"
for name in "${servers[@]}"; do
  port=$(free_port)
  command=$("${name}_command" "$port")
  case $name in
    redis) probe='PING\r\n' ;;
    http) probe='GET / HTTP/1.0\r\n\r\n' ;;
  esac
  echo "[$name] ordinary traffic captured, then the server's own rate"
  bash -c "exec $command" >"$work/$name.server.log" 2>&1 &
  server=$!
  pids+=("$server")
  if ! wait_port "$port"; then
    echo "fuzz_real_servers: $name did not serve 127.0.0.1:$port; its log:" >&2
    tail -5 "$work/$name.server.log" >&2
    status=1
    continue
  fi
  if ! capture "$name" "$port" "${name}_traffic" "$port"; then
    echo "fuzz_real_servers: the ordinary $name traffic failed:" >&2
    tail -5 "$work/$name.traffic.log" >&2
    status=1
  fi
  rate=$("${name}_rate" "$port")
  kill -TERM "$server" 2>/dev/null
  wait "$server" 2>/dev/null
  echo "    capture: $(stat -c %s "$work/$name.pcap") bytes; server's own rate: ${rate:-failed} requests/s"

  echo "[$name] sockspec fuzz --service any --seeds-from $name.pcap --probe '$probe' for $minutes min"
  fuzz_status=0
  target=$("${name}_command" '{port}')
  timeout -k 10 $((minutes * 60 + 300)) "$sockspec" fuzz --service any --seeds-from "$work/$name.pcap" \
    --probe "$probe" --max-time $((minutes * 60)) --artifacts "$work/$name-findings" --target-cmd "$target" \
    >"$work/$name.fuzz.out" 2>"$work/$name.fuzz.err" </dev/null || fuzz_status=$?
  grep -E '^sockspec fuzz: (done|interrupted|[0-9]+ messages|stopped|replies now)' "$work/$name.fuzz.err" | sed 's/^/    /'
  execs=$(sed -n 's/^sockspec fuzz: done: .* (\([0-9]*\) exec\/s).*/\1/p' "$work/$name.fuzz.err")
  messages=$(sed -n 's/^sockspec fuzz: [0-9]* messages (\([0-9]*\)\/s).*/\1/p' "$work/$name.fuzz.err")
  findings=$(grep -c . "$work/$name.fuzz.out")
  if ((fuzz_status != 0 && fuzz_status != 1)) || [[ -z $execs ]]; then
    echo "fuzz_real_servers: sockspec fuzz against $name exited $fuzz_status:" >&2
    tail -5 "$work/$name.fuzz.err" | sed 's/^/    /' >&2
    status=1
  fi
  if ((findings > 0)); then
    echo "    findings (check each by hand: sockspec replay FILE --target-cmd \"$target\" --probe '$probe'):"
    sed 's/^/      /' "$work/$name.fuzz.out"
    status=1
  fi
  results+=("$(printf '  %-8s %8s exec/s %8s messages/s   server alone: %8s requests/s   findings: %s' \
    "$name" "${execs:-?}" "${messages:-?}" "${rate:-?}" "$findings")")
done

echo
echo "results (one run; loopback; $(nproc) cores; load average now $(cut -d ' ' -f 1 /proc/loadavg)):"
printf '%s\n' "${results[@]}"
exit $status
