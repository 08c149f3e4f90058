#!/usr/bin/env bash
# Regenerates the generated seeds of the fuzz targets (docs/fuzzing.md), from the repository root or anywhere:
#   corpus/scenario_parser/default-*.scn   every scenario of the default suite, copied
#   corpus/scenario_parser/example-*.scn   the scenarios against real servers (scenarios/examples), send-file's
#                                          path made "data.bin", the one file the fuzz target serves
#   corpus/scenario_parser/bad-*.scn       scenarios each with one kind of fault (the parser must reject them)
#   corpus/framed_codec/*.bin              framed protocol streams: the control byte, then real frames
# Files it does not generate (pcap seeds, anything merged in by fuzz/fork.sh) are left alone; the pcap
# seeds come from fuzz/make_pcap_seeds.py. Exit status: 0, or 2 when run outside a sockspec checkout.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
suite="$root/scenarios/default"
if [ ! -d "$suite" ]; then
  echo "make_seeds.sh: $suite: no such folder (not a sockspec checkout?)" >&2
  exit 2
fi

# --- scenario_parser ---------------------------------------------------------------------------------------
out="$root/corpus/scenario_parser"
mkdir -p "$out"
rm -f "$out"/default-*.scn "$out"/example-*.scn "$out"/bad-*.scn
count=0
while IFS= read -r -d '' file; do
  relative="${file#"$suite"/}"
  cp "$file" "$out/default-${relative//\//-}"
  count=$((count + 1))
done < <(find "$suite" -name '*.scn' -print0 | sort -z)
examples="$root/scenarios/examples"
while IFS= read -r -d '' file; do
  relative="${file#"$examples"/}"
  sed -E 's/^send-file ([a-z]+) "[^"]*" -> [0-9]+$/send-file \1 "data.bin" -> 8/' "$file" \
    > "$out/example-${relative//\//-}"
done < <(find "$examples" -name '*.scn' -print0 | sort -z)

bad() {  # bad NAME TEXT: one malformed scenario
  printf '%s' "$2" > "$out/bad-$1.scn"
}
header='scenario fuzz.seed
title "seed"
families tcp4 udp6 unix-seqpacket
source "socket(7)"
'
bad unknown-verb "${header}s = socket
lisen s 4
"
bad unterminated-string "${header}s = socket
send s \"abc
"
bad bad-escape "${header}s = socket
send s \"\\xZZ\"
"
bad deep-nesting "${header}s = socket
send s ((((((((((\"a\"))))))))))
"
bad huge-repeat "${header}s = socket
send s \"x\" * 17MiB
"
bad use-before-define "${header}send t \"a\"
"
bad duplicate-name "${header}s = socket
s = socket
"
bad unknown-family 'scenario x
families tcp5
source "x"
'
bad missing-header 's = socket
close s
'
bad bad-expectation "${header}s = socket
recv s 4 -> ENOTANERRNO
"
bad bad-duration "${header}s = socket
c = accept s within 9999s
"
{ printf '%s' "$header"; printf 's = socket\0\n'; } > "$out/bad-nul-byte.scn"  # NUL cannot be in a shell string
bad invalid-utf8 "${header}$(printf '\xc3\x28')
"
bad claim-out-of-range "${header}claim 7 confirms
s = socket
"
bad sysctl-not-net "${header}sysctl kernel.panic 1
s = socket
"
bad trailing-arrow "${header}s = socket
close s ->
"
bad setsockopt-unknown "${header}s = socket
setsockopt s SO_BOGUS 1
"
bad connect-target-without-requires "${header}c = socket
connect-target c
"
bad send-file-missing "${header}c = socket
send-file c \"missing.bin\"
"
bad regex "${header}c = socket
recv c 4 -> matches \"(ab\"
"
bad repeat-named "${header}repeat 2 c = socket
"
bad read-datagram "${header}c = socket
read-line c
"
bad pattern-on-send "${header}c = socket
send c \"x\" -> prefix \"x\"
"
bad repeat-wire "${header}c = socket
repeat 2 wire rst c
"
bad read-max-zero "${header}c = socket
read-line c max 0
"
echo "scenario_parser: $count default-suite scenarios and $(ls "$out"/bad-*.scn | wc -l) malformed ones in $out"

# --- framed_codec ------------------------------------------------------------------------------------------
# Byte 0 is the fuzz target's control byte (small maximum payload 0..255, chunk sizes); the rest is the
# client's stream. Frames: type, flags 0, u32 big-endian length, payload (docs/framed-protocol.md).
out="$root/corpus/framed_codec"
mkdir -p "$out"
rm -f "$out"/seed-*.bin
frame() {  # frame TYPE-HEX LENGTH PAYLOAD-PRINTF-FORMAT
  printf "\\x$1\\x00"
  printf "$(printf '\\x%02x' $(($2 >> 24 & 255)) $(($2 >> 16 & 255)) $(($2 >> 8 & 255)) $(($2 & 255)))"
  printf "$3"
}
seed() {  # seed NAME CONTROL-HEX, frames on stdin
  { printf "\\x$2"; cat; } > "$out/seed-$1.bin"
}
hello() { frame 01 5 '\x01fuzz'; }
{ hello; frame 10 5 'hello'; frame 12 3 'abc'; frame 14 0 ''; frame 20 0 ''; } | seed session 20
{ hello; frame 10 5 'hello'; frame 14 0 ''; frame 20 0 ''; } | seed session-small-max 87
{ frame 10 5 'early'; } | seed handshake-required 03
{ hello; hello; } | seed second-hello 05
{ frame 01 1 '\x09'; } | seed unsupported-version 40
{ hello; frame 55 0 ''; } | seed unknown-type 01
{ hello; printf '\x10\x01\x00\x00\x00\x00'; } | seed reserved-flags 02
{ hello; frame 10 70000 ''; } | seed too-large 10
{ hello; frame 10 40 'only part of it'; } | seed partial-payload 11
{ hello; printf '\x10\x00\x00'; } | seed partial-header 12
{ hello; frame 14 3 'xyz'; } | seed stats-with-payload 13
{ hello; frame 02 5 '\x01\x00\x01\x00\x00'; } | seed server-type-from-client 14
{ frame 02 5 '\x01\x00\x01\x00\x00'; frame 11 2 'hi'; frame 13 2 'ih'; \
  frame 15 16 '\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x05'; frame 21 0 ''; } \
  | seed server-replies 00
{ frame 7f 13 '\x02frame length'; frame 7f 3 '\x09\xc3\x28'; } | seed error-frames 06
{ frame 01 66 '\x01aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'; } | seed long-client-name 07
echo "framed_codec: $(ls "$out"/seed-*.bin | wc -l) seeds in $out"
