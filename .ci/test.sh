#!/usr/bin/env bash
# The README's test command: sets up a fresh Debian 12 machine (idempotently), builds the default preset
# and runs every test through CTest. Exit status: ctest's.
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/setup-debian.sh --bench
cmake --preset default
cmake --build --preset default -j "$(nproc)"
# Each test has its own timeout (tests/CMakeLists.txt); --timeout is the backstop for any that does not.
ctest --preset default -j "$(nproc)" --timeout 300 --no-tests=error
