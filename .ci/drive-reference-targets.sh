#!/usr/bin/env bash
# Starts sockspec-server for each transport and service and drives it with sockspec-client, checking what
# comes back. Prints one line per check and a summary; exits 0 when all passed, 1 otherwise, 2 on bad usage.
#   bash .ci/drive-reference-targets.sh [BUILD_DIR]     (default: build/default)
set -uo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
# shellcheck source=bench/listening_url.sh
source "$(dirname "$0")/../bench/listening_url.sh"
build=${1:-build/default}
server=$build/targets/server/sockspec-server
client=$build/targets/client/sockspec-client
for program in "$server" "$client"; do
  [[ -x $program ]] || { echo "drive-reference-targets: $program is not built (run cmake --build first)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/sockspec-main-job.XXXXXX)
server_pid=""
cleanup() {
  if [[ -n $server_pid ]]; then kill -TERM "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
report() {  # report STATUS NAME DETAIL
  if [[ $1 == PASS ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  printf '%-4s %-44s %s\n' "$1" "$2" "$3"
}

# start_server LISTEN_URL SERVICE: runs the server in the background and sets $url to the endpoint it bound.
start_server() {
  rm -f "$work/server.out"
  "$server" --listen "$1" --service "$2" >"$work/server.out" 2>"$work/server.err" &
  server_pid=$!
  url=$(await_listening_url "$work/server.out" "$server_pid" 5)
}

stop_server() {
  kill -TERM "$server_pid" 2>/dev/null
  local status=0
  wait "$server_pid" || status=$?
  server_pid=""
  return $status
}

# check NAME SERVICE EXPECTATION CLIENT_ARGS...: runs the client (10 s deadline) and checks its output.
check() {
  local name=$1 service=$2 expect=$3
  shift 3
  local out=$work/client.out err=$work/client.err status=0
  timeout 15 "$client" --connect "$url" --service "$service" --timeout 10000 --output "$out" "$@" 2>"$err" || status=$?
  local why=""
  if ((status != 0)); then
    why="client exit $status: $(head -c 200 "$err")"
  else
    case $expect in
      same-as-input) cmp -s "$out" "$work/input" || why="reply differs from the input" ;;
      empty) [[ ! -s $out ]] || why="expected no reply, got $(wc -c <"$out") bytes" ;;
      chargen) head -c 74 "$out" | grep -q '^ !"#\$%&' || why="not the RFC 864 pattern: $(head -c 40 "$out")" ;;
      daytime) grep -Eq '^[A-Z][a-z]+day, [A-Z][a-z]+ [0-9]{2}, [0-9]{4} [0-9:]{8}-UTC' "$out" || why="not an RFC 867 line: $(head -c 60 "$out")" ;;
      framed) [[ $(cat "$out") == $'hello\ncba' ]] || why="unexpected framed replies: $(head -c 80 "$out" | tr '\n' '|')" ;;
    esac
  fi
  if [[ -z $why ]]; then report PASS "$name" "$url"; else report FAIL "$name" "$url: $why"; fi
}

head -c 65507 /dev/urandom >"$work/datagram"
head -c 1048576 /dev/urandom >"$work/stream"
printf 'echo hello\nreverse abc\n' >"$work/script"

transports=(
  "tcp tcp://127.0.0.1:0"
  "tcp6 tcp://[::1]:0"
  "udp udp://127.0.0.1:0"
  "udp6 udp://[::1]:0"
  "unix unix://$work/stream.sock"
  "unix-dgram unix-dgram://$work/dgram.sock"
  "unix-seqpacket unix-seqpacket://$work/seqpacket.sock"
)
echo "sockspec main job: reference server x reference client, ${#transports[@]} transports"
for entry in "${transports[@]}"; do
  read -r label listen <<<"$entry"
  services=(echo discard chargen daytime)
  [[ $label == tcp* || $label == unix || $label == unix-seqpacket ]] && services+=(framed)
  for service in "${services[@]}"; do
    if ! start_server "$listen" "$service"; then
      report FAIL "$service over $label" "server did not start: $(head -c 200 "$work/server.err")"
      stop_server
      continue
    fi
    case $label:$service in
      tcp*:echo | unix:echo)
        cp "$work/stream" "$work/input"
        check "$service over $label (1 MiB, half-close)" echo same-as-input --input "$work/input" --half-close ;;
      udp*:echo | unix-dgram:echo)
        cp "$work/datagram" "$work/input"
        [[ $label == unix-dgram ]] && head -c 4096 "$work/datagram" >"$work/input"
        check "$service over $label ($(wc -c <"$work/input")-byte datagram)" echo same-as-input --input "$work/input" ;;
      unix-seqpacket:echo)
        head -c 65536 "$work/stream" >"$work/input"
        check "$service over $label (64 KiB records)" echo same-as-input --input "$work/input" --chunk 16384 ;;
      *:discard)
        cp "$work/stream" "$work/input"
        [[ $label == udp* || $label == unix-dgram ]] && head -c 1000 "$work/stream" >"$work/input"
        check "$service over $label" discard empty --input "$work/input" --chunk 16384 ;;
      *:chargen) check "$service over $label" chargen chargen ;;
      *:daytime) check "$service over $label" daytime daytime ;;
      *:framed) check "$service over $label" framed framed --input "$work/script" ;;
    esac
    status=0
    stop_server || status=$?
    ((status == 0)) || report FAIL "$service over $label: SIGTERM" "server exited with $status, expected 0"
  done
done
echo "main job: $passed passed, $failed failed"
((failed == 0))
