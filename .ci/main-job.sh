#!/usr/bin/env bash
# The README's main command: sets up a fresh Debian 12 machine (idempotently), builds the default preset, and
# runs the main job: the default conformance suite (every scenario over every family it applies to, each in
# its own network namespace when run as root), then the reference server driven by the reference client on
# every transport. Exit status: 0 when everything passed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/setup-debian.sh
cmake --preset default
cmake --build --preset default -j "$(nproc)"
status=0
build/default/harness/sockspec run --capture build/captures || status=$?
bash .ci/drive-reference-targets.sh build/default || status=$?
exit "$status"
