#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build (docs/fuzzing.md): builds every *_fuzzer target of sockspec with the
# environment's $CC/$CXX/$CFLAGS/$CXXFLAGS (which carry the sanitizer and coverage flags) and links each
# with $LIB_FUZZING_ENGINE; sockspec adds no sanitizers or instrumentation of its own here
# (SOCKSPEC_SANITIZE empty, SOCKSPEC_FUZZ_OWN_INSTRUMENTATION off, SOCKSPEC_FUZZ_ENGINE set). Then copies to $OUT, per fuzzer F: the binary,
# F_seed_corpus.zip (corpus/<target>/ and corpus/regressions/<target>/), F.dict and F.options.
# Outside the image (no $SRC/deps), the system's packages are used: that is how it is tested locally,
#   CC=clang CXX=clang++ CFLAGS='-fsanitize=address,undefined -fsanitize=fuzzer-no-link' \
#   CXXFLAGS="$CFLAGS" LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out bash .clusterfuzzlite/build.sh
: "${SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${OUT:?set OUT to the folder for the fuzzers}"
: "${WORK:=$(mktemp -d)}"
source_dir="$(cd "$(dirname "$0")/.." && pwd)"
jobs="$(nproc)"

source "$source_dir/.clusterfuzzlite/deps.sh"

build="$WORK/sockspec"
sockspec_configure "$build"
# Every *_fuzzer target, and only what they need.
mapfile -t targets < <(ninja -C "$build" -t targets all | grep -v '^cmake_' |
                       sed -n 's/^\([A-Za-z0-9_.+-]*_fuzzer\): .*/\1/p' | sort -u)
if ((${#targets[@]} == 0)); then echo "build.sh: no *_fuzzer target" >&2; exit 1; fi
cmake --build "$build" -j "$jobs" --target "${targets[@]}"

mkdir -p "$OUT"
for name in "${targets[@]}"; do
  target="${name%_fuzzer}"
  find "$build" -type f -name "$name" -perm -u+x -exec cp {} "$OUT/" \;
  seeds=()
  for dir in "$source_dir/corpus/$target" "$source_dir/corpus/regressions/$target"; do
    [ -d "$dir" ] && seeds+=("$dir")
  done
  rm -f "$OUT/${name}_seed_corpus.zip"
  if ((${#seeds[@]} > 0)); then zip -q -j -r "$OUT/${name}_seed_corpus.zip" "${seeds[@]}"; fi
  [ -f "$source_dir/corpus/$target.dict" ] && cp "$source_dir/corpus/$target.dict" "$OUT/$name.dict"
  [ -f "$source_dir/corpus/$target.options" ] && cp "$source_dir/corpus/$target.options" "$OUT/$name.options"
done
echo "build.sh: ${targets[*]} in $OUT"
