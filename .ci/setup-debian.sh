#!/usr/bin/env bash
# Installs the Debian 12 packages sockspec needs to build, test, fuzz and benchmark. Idempotent: packages
# already present are skipped, and apt is not touched at all when nothing is missing.
#   bash .ci/setup-debian.sh            build + tests
#   bash .ci/setup-debian.sh --bench    the same (kept for older scripts: the peers below are always installed)
# tcpdump and tshark are test oracles and benchmark baselines only (sockspec itself needs neither): the capture
# tests compare `sockspec inspect` with tshark's counts on traffic tcpdump captured.
# OpenBSD inetd is a test peer too, but not installed: Debian's xinetd Conflicts with inet-superserver, which
# openbsd-inetd Provides, so only one can be installed. Its .deb is unpacked instead (dpkg-deb -x, no
# maintainer scripts, no daemon) into $inetd_root, its libraries installed as packages; the live tests run
# $inetd_root/usr/sbin/inetd in the foreground.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config   # the build
  ccache                                         # .ci/test.sh: compiles shared by its builds and runs
  libfmt-dev libcli11-dev nlohmann-json3-dev     # formatting, command lines, JSON
  libre2-dev                                     # linear-time regexes for untrusted patterns (scenarios, --reply)
  libpcap-dev                                    # capture and the pcap reader
  catch2                                         # tests (Catch2 v2.13)
  clang lld libclang-rt-14-dev                   # libFuzzer and the sanitizers' runtimes
  iproute2 procps                                # ss, ip netns, sysctl in live tests
  tcpdump tshark                                 # capture tests' oracle; inspect benchmark's baselines
  socat ncat redis-server xinetd python3         # real servers nobody here wrote: target-mode test peers
  libbsd0 libevent-2.1-7 libsystemd0 libtirpc3 libwrap0  # what the unpacked OpenBSD inetd links against
  util-linux                                     # unshare: the inetd peer's private /etc/services
  zip unzip file binutils                        # ClusterFuzzLite packaging: seed zips, bad-build checks
)
inetd_root=/opt/sockspec-peers/openbsd-inetd
inetd_package=openbsd-inetd
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

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
updated=no
apt_update() {
  if [ "$updated" = no ]; then
    "${sudo_cmd[@]}" apt-get update -qq || { echo "setup: apt-get update failed (no network?)" >&2; exit 1; }
    updated=yes
  fi
}

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
else
  echo "setup: installing ${missing[*]}"
  # wireshark-common asks whether non-root users may capture; answer "no" beforehand so it never prompts.
  echo 'wireshark-common wireshark-common/install-setuid boolean false' | "${sudo_cmd[@]}" debconf-set-selections
  apt_update
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
  restore_policy
  trap - EXIT
fi

# OpenBSD inetd, unpacked. $inetd_root/VERSION names the .deb it came from; the candidate version is looked up
# without the network (apt-cache reads the local lists), so a rerun with that version in place does nothing.
inetd_version() { apt-cache policy "$inetd_package" 2>/dev/null | sed -n 's/^ *Candidate: //p'; }
wanted=$(inetd_version)
if [ -z "$wanted" ] || [ "$wanted" = "(none)" ]; then
  apt_update
  wanted=$(inetd_version)
fi
if [ -z "$wanted" ] || [ "$wanted" = "(none)" ]; then
  echo "setup: apt knows no candidate for $inetd_package (check the apt sources)" >&2
  exit 1
fi
if [ -x "$inetd_root/usr/sbin/inetd" ] && [ "$(cat "$inetd_root/VERSION" 2>/dev/null)" = "$wanted" ]; then
  echo "setup: $inetd_package $wanted already unpacked in $inetd_root"
else
  download=$(mktemp -d)
  # apt-get download fetches as the _apt user when it can write the folder, else it warns and fetches as root.
  if id _apt >/dev/null 2>&1; then chown _apt "$download" 2>/dev/null || true; fi
  if ! (cd "$download" && "${sudo_cmd[@]}" apt-get download -qq "$inetd_package=$wanted"); then
    apt_update
    (cd "$download" && "${sudo_cmd[@]}" apt-get download -qq "$inetd_package=$wanted") ||
      { echo "setup: apt-get download $inetd_package=$wanted failed (no network?)" >&2; rm -rf "$download"; exit 1; }
  fi
  deb=("$download"/"$inetd_package"_*.deb)
  got=$(dpkg-deb -f "${deb[0]}" Version)
  if [ "$got" != "$wanted" ]; then
    echo "setup: downloaded $inetd_package $got, expected $wanted" >&2; rm -rf "$download"; exit 1
  fi
  "${sudo_cmd[@]}" rm -rf "$inetd_root"
  "${sudo_cmd[@]}" mkdir -p "$inetd_root"
  "${sudo_cmd[@]}" dpkg-deb -x "${deb[0]}" "$inetd_root"
  echo "$got" | "${sudo_cmd[@]}" tee "$inetd_root/VERSION" >/dev/null
  rm -rf "$download"
  echo "setup: $inetd_package $got unpacked in $inetd_root"
fi
echo "setup: done"
