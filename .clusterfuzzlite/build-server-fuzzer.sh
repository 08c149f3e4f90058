#!/bin/bash -eu
# Builds sockspec-server-fuzzer for a user's server under ClusterFuzzLite or OSS-Fuzz
# (docs/fuzzing-black-box.md, "ClusterFuzzLite"): call it from the project's own build.sh, after the server
# itself is built into $OUT.
#   bash $SRC/sockspec/.clusterfuzzlite/build-server-fuzzer.sh NAME OPTIONS [SEEDS] [DICT]
# NAME     the fuzzer's name in $OUT; it must end in _fuzzer (how ClusterFuzz finds fuzzers)
# OPTIONS  the options file (--target-cmd, --service, ...; {dir} is $OUT wherever it is run), copied to
#          $OUT/NAME.sockspec
# SEEDS    a folder of seed inputs (--service any: messages separated by two 0x1E bytes), zipped into
#          $OUT/NAME_seed_corpus.zip
# DICT     a dictionary in libFuzzer's format, copied to $OUT/NAME.dict (the program adds what it learns from
#          the corpus to it)
# sockspec is built with the environment's $CC/$CXX and sanitizer flags, linked with $LIB_FUZZING_ENGINE,
# and without coverage instrumentation of its own (-fsanitize=fuzzer-no-link is taken out of its flags): its
# branches say nothing about the server; the server's replies are the feedback. Outside the image (no
# $SRC/deps) the system's packages are used, which is how it is checked locally:
#   CC=clang CXX=clang++ CFLAGS='-fsanitize=address -fsanitize=fuzzer-no-link' CXXFLAGS="$CFLAGS" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out bash .clusterfuzzlite/build-server-fuzzer.sh \
#   my_fuzzer my.sockspec seeds/
# Exit status: 0 built, 2 bad usage, else the failing build step's.
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
if (($# < 2 || $# > 4)) || [ "${1:-}" = --help ] || [ "${1:-}" = -h ]; then
  usage >&2
  [ "${1:-}" = --help ] || [ "${1:-}" = -h ] && exit 0
  exit 2
fi
name="$1" options="$2" seeds="${3:-}" dict="${4:-}"
fail() { echo "build-server-fuzzer.sh: $*" >&2; exit 2; }
[[ "$name" =~ ^[A-Za-z0-9_.+-]+_fuzzer$ ]] || fail "NAME '$name' must end in _fuzzer, without a slash"
[ -f "$options" ] || fail "OPTIONS '$options' is not a file"
[ -z "$seeds" ] || [ -d "$seeds" ] || fail "SEEDS '$seeds' is not a folder"
[ -z "$dict" ] || [ -f "$dict" ] || fail "DICT '$dict' is not a file"
: "${OUT:?set OUT to the folder for the fuzzers}"
: "${CXX:?set CXX to the compiler of the fuzzers}"
: "${LIB_FUZZING_ENGINE:?set LIB_FUZZING_ENGINE (for instance -fsanitize=fuzzer)}"
: "${SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${WORK:=$(mktemp -d)}"
source_dir="$(cd "$(dirname "$0")/.." && pwd)"

# Only the sanitizer flags: the coverage flag would instrument sockspec itself.
export CFLAGS="${CFLAGS:-}" CXXFLAGS="${CXXFLAGS:-}"
CFLAGS="${CFLAGS//-fsanitize=fuzzer-no-link/}"
CXXFLAGS="${CXXFLAGS//-fsanitize=fuzzer-no-link/}"
source "$source_dir/.clusterfuzzlite/deps.sh"

build="$WORK/sockspec-server-fuzzer"
sockspec_configure "$build"
cmake --build "$build" -j "$(nproc)" --target sockspec-server-fuzzer

mkdir -p "$OUT"
cp "$build/harness/sockspec-server-fuzzer" "$OUT/$name"
cp "$options" "$OUT/$name.sockspec"
rm -f "$OUT/${name}_seed_corpus.zip"
if [ -n "$seeds" ]; then (cd "$seeds" && zip -q -r "$OUT/${name}_seed_corpus.zip" .); fi
if [ -n "$dict" ]; then cp "$dict" "$OUT/$name.dict"; fi
echo "build-server-fuzzer.sh: $OUT/$name, with $name.sockspec${seeds:+, ${name}_seed_corpus.zip}${dict:+, $name.dict}"
