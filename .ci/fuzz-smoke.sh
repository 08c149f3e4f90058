#!/usr/bin/env bash
# CI fuzz smoke (docs/fuzzing.md): builds every `*_fuzzer` target of the `fuzz` preset (clang, ASan + UBSan,
# libFuzzer) and runs each for SOCKSPEC_FUZZ_SECONDS (default 30) over a COPY of its corpus, with its
# dictionary and .options, so nothing is ever written into the repository. A crash, leak, timeout or
# out-of-memory stops that fuzzer; the others still run, then the script fails naming each fuzzer that found
# something and its artifact (the input that reproduces it), kept in the temporary folder it prints.
#   bash .ci/fuzz-smoke.sh [--no-build] [FUZZER...]     FUZZER: e.g. framed_codec_fuzzer; default: all built
# Environment: SOCKSPEC_FUZZ_SECONDS (per fuzzer), SOCKSPEC_FUZZ_TIMEOUT (per input, default 10 s) and
# SOCKSPEC_FUZZ_RSS_MB (default 2048), each unless the fuzzer's .options sets its own, SOCKSPEC_FUZZ_JOBS
# (build jobs, and fuzzers run at once; default nproc).
# Exit status: 0 every fuzzer ran clean; 1 a fuzzer found something; 2 bad usage; 3 the build failed or no
# fuzzer was built.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${SOCKSPEC_FUZZ_SECONDS:-30}"
input_timeout="${SOCKSPEC_FUZZ_TIMEOUT:-10}"
rss_mb="${SOCKSPEC_FUZZ_RSS_MB:-2048}"
jobs="${SOCKSPEC_FUZZ_JOBS:-$(nproc)}"
build=1
selected=()
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "fuzz-smoke: unknown option '$arg'" >&2; usage >&2; exit 2 ;;
    *) selected+=("$arg") ;;
  esac
done
for pair in "SOCKSPEC_FUZZ_SECONDS=$seconds" "SOCKSPEC_FUZZ_TIMEOUT=$input_timeout" \
            "SOCKSPEC_FUZZ_RSS_MB=$rss_mb" "SOCKSPEC_FUZZ_JOBS=$jobs"; do
  if ! [[ "${pair#*=}" =~ ^[1-9][0-9]*$ ]]; then
    echo "fuzz-smoke: ${pair%%=*} must be a positive whole number, got '${pair#*=}'" >&2
    exit 2
  fi
done

build_dir=build/fuzz
if ((build)); then
  cmake --preset fuzz >/dev/null || { echo "fuzz-smoke: cmake --preset fuzz failed" >&2; exit 3; }
  # Every *_fuzzer target the preset defines (ours and any added later), and only those and their libraries.
  mapfile -t targets < <(ninja -C "$build_dir" -t targets all | grep -v '^cmake_' | sed -n 's/^\([A-Za-z0-9_.+-]*_fuzzer\): .*/\1/p' | sort -u)
  if ((${#targets[@]} == 0)); then echo "fuzz-smoke: the fuzz preset defines no *_fuzzer target" >&2; exit 3; fi
  echo "fuzz-smoke: building ${targets[*]}"
  cmake --build --preset fuzz -j "$jobs" --target "${targets[@]}" ||
    { echo "fuzz-smoke: building the fuzzers failed" >&2; exit 3; }
fi

mapfile -t binaries < <(find "$build_dir" -type f -perm -u+x -name '*_fuzzer' | sort)
if ((${#selected[@]} > 0)); then
  chosen=()
  for name in "${selected[@]}"; do
    match=""
    for binary in "${binaries[@]}"; do [ "$(basename "$binary")" = "$name" ] && match="$binary"; done
    if [ -z "$match" ]; then echo "fuzz-smoke: no fuzzer '$name' in $build_dir" >&2; exit 2; fi
    chosen+=("$match")
  done
  binaries=("${chosen[@]}")
fi
if ((${#binaries[@]} == 0)); then echo "fuzz-smoke: no *_fuzzer binary in $build_dir" >&2; exit 3; fi

work="$(mktemp -d "${TMPDIR:-/tmp}/sockspec-fuzz-smoke.XXXXXX")"
echo "fuzz-smoke: ${#binaries[@]} fuzzers, ${seconds}s each, $jobs at a time; corpora copies, logs and artifacts in $work (removed when all are clean)"

# .options ([libfuzzer] key = value lines, ClusterFuzzLite's format) as -key=value flags.
options_flags() {
  [ -f "$1" ] || return 0
  sed -n 's/^[[:space:]]*\([a-z_]*\)[[:space:]]*=[[:space:]]*\([^[:space:]]*\)[[:space:]]*$/-\1=\2/p' "$1"
}

# fuzz_one BINARY: one fuzzer's run over a copy of its corpus, in $work/NAME (log, artifacts, status).
fuzz_one() {
  local binary=$1 name target dir status=0
  name="$(basename "$binary")"
  target="${name%_fuzzer}"
  dir="$work/$name"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  # Seeds and fixed findings both: the smoke run starts from everything that once mattered.
  for source in "corpus/$target" "corpus/regressions/$target"; do
    [ -d "$source" ] && cp -R "$source/." "$dir/corpus/"
  done
  local flags=(-max_total_time="$seconds" -timeout="$input_timeout" -rss_limit_mb="$rss_mb" -print_final_stats=1
               -artifact_prefix="$dir/artifacts/")
  [ -f "corpus/$target.dict" ] && flags+=(-dict="$PWD/corpus/$target.dict")
  local extra
  mapfile -t extra < <(options_flags "corpus/$target.options")
  flags+=("${extra[@]}")
  # libFuzzer stops itself after max_total_time; the outer timeout only guards against a hang it cannot see.
  local binary_path
  binary_path="$(cd "$(dirname "$binary")" && pwd)/$name"
  (cd "$dir" && timeout --signal=KILL $((seconds + 4 * input_timeout + 120)) "$binary_path" "${flags[@]}" corpus \
     >"$dir/log" 2>&1) || status=$?
  echo "$status" >"$dir/status"
}

# Each fuzzer is one process: as many run at once as there are build jobs (cores), reported in order after.
running=0
for binary in "${binaries[@]}"; do
  if ((running >= jobs)); then wait -n || true; running=$((running - 1)); fi
  fuzz_one "$binary" &
  running=$((running + 1))
done
wait

failures=()
for binary in "${binaries[@]}"; do
  name="$(basename "$binary")"
  dir="$work/$name"
  status="$(cat "$dir/status" 2>/dev/null || echo 125)"
  stat() { sed -n "s/^stat::$1:[[:space:]]*//p" "$dir/log" | tail -1; }
  done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$dir/log" | tail -1 || true)"
  cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$done_line")"
  ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$done_line")"
  printf 'fuzz-smoke: %-28s %s  execs %s  exec/s %s  cov %s  ft %s\n' "$name" \
    "$( ((status == 0)) && echo ok || echo "FAILED (exit $status)")" "$(stat number_of_executed_units)" \
    "$(stat average_exec_per_sec)" "${cov:-?}" "${ft:-?}"
  if ((status != 0)); then
    artifact="$(find "$dir/artifacts" -type f | head -1)"
    grep -E 'ERROR:|SUMMARY:|fuzz invariant broken' "$dir/log" | head -5 | sed 's/^/    /' || true
    echo "    artifact: ${artifact:-none (see $dir/log)}"
    failures+=("$name: ${artifact:-$dir/log}")
  fi
done

if ((${#failures[@]} > 0)); then
  echo "fuzz-smoke: FAILED: ${#failures[@]} of ${#binaries[@]} fuzzers found something:" >&2
  printf '  %s\n' "${failures[@]}" >&2
  echo "fuzz-smoke: reproduce with: <fuzzer> ARTIFACT; once fixed, add it under corpus/regressions/<target>/" >&2
  exit 1
fi
# Clean: nothing in the folder is worth keeping (a failure keeps it, for its artifacts and logs).
rm -rf "$work"
echo "fuzz-smoke: all ${#binaries[@]} fuzzers ran ${seconds}s clean"
