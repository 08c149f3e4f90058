#!/usr/bin/env bash
# The README's main command: sets up a fresh Debian 12 machine (idempotently), builds the default preset, and
# runs the main job. Until the scenario runner lands (issue #3) the main job starts the reference server on
# every transport and drives every service with the reference client, checking each reply.
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/setup-debian.sh
cmake --preset default
cmake --build --preset default -j "$(nproc)"
exec bash .ci/drive-reference-targets.sh build/default
