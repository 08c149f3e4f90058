#!/usr/bin/env bash
# Long local fuzzing on every core (docs/fuzzing.md): runs one libFuzzer binary in -fork mode over a working
# copy of its corpus for a while, then merges what it found back into corpus/<target>/, minimised
# (-merge=1 adds only inputs that add coverage, named by their SHA-1), so the result can be committed.
#   bash fuzz/fork.sh [options] TARGET          TARGET: framed_codec, or framed_codec_fuzzer
# Options:
#   --time SECONDS    how long to fuzz (default 600)
#   --jobs N          parallel fuzzing processes (default: nproc)
#   --build-dir DIR   where the fuzz preset built the binaries (default build/fuzz)
#   --work DIR        working folder for the corpus copy, logs and crashes (default: a new temporary folder)
#   --no-merge        fuzz only; leave corpus/<target>/ untouched
#   -h, --help        this text
# Crashes, leaks and timeouts are written to WORK/artifacts/ (-fork keeps going after one: -ignore_crashes);
# each one there is a finding to fix and then add under corpus/regressions/<target>/.
# Exit status: 0 nothing found; 1 something found (listed); 2 bad usage or a missing binary/corpus; 3 the
# fuzzer or the merge failed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

seconds=600
jobs="$(nproc)"
build_dir="$root/build/fuzz"
work=""
merge=1
target=""
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { echo "fork.sh: $1" >&2; exit "${2:-2}"; }
while (($# > 0)); do
  case "$1" in
    --time) seconds="${2:-}"; shift 2 || die "--time needs a value" ;;
    --jobs) jobs="${2:-}"; shift 2 || die "--jobs needs a value" ;;
    --build-dir) build_dir="${2:-}"; shift 2 || die "--build-dir needs a value" ;;
    --work) work="${2:-}"; shift 2 || die "--work needs a value" ;;
    --no-merge) merge=0; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option '$1'" ;;
    *) [ -z "$target" ] || die "one TARGET only, got '$target' and '$1'"; target="$1"; shift ;;
  esac
done
[ -n "$target" ] || { usage >&2; die "which TARGET? e.g. framed_codec"; }
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || die "--time must be a positive number of seconds, got '$seconds'"
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive number, got '$jobs'"
target="${target%_fuzzer}"
binary="$(find "$build_dir" -type f -perm -u+x -name "${target}_fuzzer" 2>/dev/null | head -1)"
[ -n "$binary" ] || die "no ${target}_fuzzer under $build_dir (build it: cmake --preset fuzz && cmake --build --preset fuzz --target ${target}_fuzzer)"
corpus="$root/corpus/$target"
[ -d "$corpus" ] || die "$corpus: no such folder (the target's seeds)"

[ -n "$work" ] || work="$(mktemp -d "${TMPDIR:-/tmp}/sockspec-fork-$target.XXXXXX")"
mkdir -p "$work/corpus" "$work/artifacts" || die "cannot create $work"
cp -R "$corpus/." "$work/corpus/"
[ -d "$root/corpus/regressions/$target" ] && cp -R "$root/corpus/regressions/$target/." "$work/corpus/"
extra=()
flags=(-fork="$jobs" -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -max_total_time="$seconds"
       -artifact_prefix="$work/artifacts/")
[ -f "$root/corpus/$target.dict" ] && flags+=(-dict="$root/corpus/$target.dict")
if [ -f "$root/corpus/$target.options" ]; then
  mapfile -t extra < <(sed -n 's/^[[:space:]]*\([a-z_]*\)[[:space:]]*=[[:space:]]*\([^[:space:]]*\)[[:space:]]*$/-\1=\2/p' \
                       "$root/corpus/$target.options")
  flags+=("${extra[@]}")
fi
echo "fork.sh: $target for ${seconds}s on $jobs processes; working folder $work"
# -fork stops by itself after max_total_time; the outer timeout only guards against a hang.
(cd "$work" && timeout --signal=KILL $((seconds + 300)) "$binary" "${flags[@]}" corpus > "$work/fuzz.log" 2>&1) ||
  echo "fork.sh: the fuzzer exited with status $? (see $work/fuzz.log)" >&2
# -fork's progress lines read "#N: cov: ... ft: ... corp: ... exec/s ... oom/timeout/crash: a/b/c".
grep -E '^#[0-9]+: cov:' "$work/fuzz.log" | tail -1 | sed 's/^/fork.sh: last: /' || true

if ((merge)); then
  before="$(find "$corpus" -type f | wc -l)"
  # Into corpus/<target>/ only what adds coverage to it (libFuzzer names new files by their SHA-1); the
  # existing, named seeds stay as they are.
  (cd "$work" && timeout --signal=KILL 1800 "$binary" -merge=1 "${extra[@]}" "$corpus" corpus \
     > "$work/merge.log" 2>&1) || die "merge failed (see $work/merge.log)" 3
  after="$(find "$corpus" -type f | wc -l)"
  echo "fork.sh: merged $((after - before)) new inputs into $corpus ($before -> $after files)"
fi

mapfile -t findings < <(find "$work/artifacts" -type f | sort)
if ((${#findings[@]} > 0)); then
  echo "fork.sh: ${#findings[@]} findings (fix each, then add it under corpus/regressions/$target/):" >&2
  printf '  %s\n' "${findings[@]}" >&2
  exit 1
fi
echo "fork.sh: no findings"
