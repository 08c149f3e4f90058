#!/usr/bin/env bash
# Installs the Debian 12 packages sockspec needs to build, test, fuzz and benchmark. Idempotent: packages
# already present are skipped, and apt is not touched at all when nothing is missing.
#   bash .ci/setup-debian.sh            build + tests
#   bash .ci/setup-debian.sh --bench    the same (kept for older scripts: the peers below are always installed)
# tcpdump and tshark are test oracles and benchmark baselines only (sockspec itself needs neither): the capture
# tests compare `sockspec inspect` with tshark's counts on traffic tcpdump captured.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config   # the build
  libfmt-dev libcli11-dev nlohmann-json3-dev     # formatting, command lines, JSON
  libre2-dev                                     # linear-time regexes for untrusted patterns (scenarios, --reply)
  libpcap-dev                                    # capture and the pcap reader
  catch2                                         # tests (Catch2 v2.13)
  clang lld libclang-rt-14-dev                   # libFuzzer and the sanitizers' runtimes
  iproute2 procps                                # ss, ip netns, sysctl in live tests
  tcpdump tshark                                 # capture tests' oracle; inspect benchmark's baselines
  socat ncat redis-server xinetd python3         # real servers nobody here wrote: target-mode test peers
)
for arg in "$@"; do
  case "$arg" in
    --bench) ;;
    *) echo "setup-debian.sh: unknown option '$arg' (expected --bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# wireshark-common asks whether non-root users may capture; answer "no" beforehand so it never prompts.
echo 'wireshark-common wireshark-common/install-setuid boolean false' | "${sudo_cmd[@]}" debconf-set-selections
"${sudo_cmd[@]}" apt-get update -qq
# The test peers (redis-server, xinetd) are daemons: their packages must not start them on this machine
# (tests start their own, on free ports). policy-rc.d answering 101 forbids invoke-rc.d to start services
# (/usr/share/doc/init-system-helpers/README.policy-rc.d); ours is put back as it was afterwards.
policy=/usr/sbin/policy-rc.d
policy_saved=""
if [ -e "$policy" ]; then policy_saved=$(mktemp); "${sudo_cmd[@]}" cp -p "$policy" "$policy_saved"; fi
restore_policy() {
  if [ -n "$policy_saved" ]; then "${sudo_cmd[@]}" cp -p "$policy_saved" "$policy"; rm -f "$policy_saved"
  else "${sudo_cmd[@]}" rm -f "$policy"; fi
}
trap restore_policy EXIT
printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
"${sudo_cmd[@]}" chmod 755 "$policy"
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
