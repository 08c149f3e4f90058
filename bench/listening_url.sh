# await_listening_url, shared by bench/ and .ci/ scripts that start sockspec-server (sourced, never run).
# shellcheck shell=bash

# await_listening_url FILE PID [SECONDS]: waits up to SECONDS (default 10) for the first line the reference
# server prints once it serves, "listening URL" (docs/server.md), in FILE, its stdout; prints URL and returns
# 0. Returns 1 when process PID ends first or the time runs out, and when the line is another (said on stderr).
await_listening_url() {
  local file=$1 pid=$2 passes=$((${3:-10} * 20)) line pass
  for ((pass = 0; pass < passes; pass++)); do
    line=$(head -n 1 "$file" 2>/dev/null)
    if [[ -n $line ]]; then
      [[ $line == "listening "* ]] || { echo "the server's first line is '$line', not 'listening URL'" >&2; return 1; }
      echo "${line#listening }"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}
