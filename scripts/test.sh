#!/usr/bin/env bash
# Command two: set up what is missing, then run every test: Rust tests,
# clippy for both features, and the Playwright suite against a release build.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

declare -a PHASES=()
phase() {
  local name="$1"; shift
  local t0=$SECONDS
  printf '\n\033[1;34m==> %s\033[0m\n' "$name"
  local rc=0
  "$@" || rc=$?
  PHASES+=("$(printf '%-28s %4ds%s' "$name" $((SECONDS - t0)) "$([ $rc -eq 0 ] || echo '  FAILED')")")
  return $rc
}
report() {
  local rc=$?
  printf '\n==> phase timings\n'
  for p in "${PHASES[@]}"; do echo "    $p"; done
  printf '    %-28s %4ds\n' total "$SECONDS"
  printf '    %-28s %s\n' "real-PBX tests" "$REAL_PBX"
  # CI's disk is shared and has run out before: show what a run leaves behind.
  printf '    %-28s %s\n' "target/ on disk" "$(du -sh target 2>/dev/null | cut -f1)"
  [ $rc -eq 0 ] && echo "ALL TESTS PASSED" || echo "FAILED (exit $rc)"
}
trap report EXIT

setup() { source scripts/setup.sh; }
phase "setup" setup

# The real Asterisk 22 the real-PBX tests need (tests/real_asterisk.rs and the
# real-PBX Playwright test), built once into ~/.cache when only its sources
# are there. Without one those tests are skipped, and this says so; under
# CI=true a missing Asterisk fails the run.
REAL_PBX="skipped"
asterisk_phase() {
  local found rc=0
  found=$(scripts/asterisk.sh locate) || rc=$?
  if [ $rc -eq 0 ]; then
    export ISPBX_TEST_ASTERISK="$found"
    REAL_PBX="ran against $("$found" -V)"
    echo "real-PBX tests run against $found"
  elif [ $rc -eq 3 ] && [ "${CI:-}" != true ]; then
    unset ISPBX_TEST_ASTERISK
    echo "SKIPPED: the real-Asterisk tests (see the line above for what to provide)"
  else
    REAL_PBX="missing (CI=true requires it)"
    return 1
  fi
}
phase "Asterisk 22 (real PBX)" asterisk_phase

# A one-shot run gains nothing from incremental caches but their disk space.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

phase "cargo test (ssr)" cargo test --features ssr --locked
phase "clippy (ssr)" cargo clippy --features ssr --all-targets --locked -- -D warnings
phase "clippy (hydrate, wasm32)" cargo clippy --lib --features hydrate --target wasm32-unknown-unknown --locked -- -D warnings
phase "release build" cargo leptos build --release
# Playwright starts and stops its own servers (end2end/playwright.config.ts).
e2e() { (cd end2end && npx playwright test); }
phase "end-to-end (Playwright)" e2e
