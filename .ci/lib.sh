# Shared by the .ci/ check scripts (sourced, never run). A script sets `ci_name` (its prefix in the log) and
# `failures=0` before sourcing this.
# shellcheck shell=bash

: "${ci_name:?set ci_name before sourcing .ci/lib.sh}"

# check DESCRIPTION COMMAND...: runs COMMAND, prints "NAME: ok: DESCRIPTION" or "NAME: FAILED: ..." (on
# stderr) and counts a failure in $failures when it fails.
check() {
  local what="$1"
  shift
  if "$@"; then
    echo "$ci_name: ok: $what"
  else
    echo "$ci_name: FAILED: $what" >&2
    failures=$((failures + 1))
  fi
}
