#!/usr/bin/env bash
# Dashboard figures with a generated 5,000-endpoint PBX on the release build:
# page weight, first paint, time to interactive and filter latency, and the
# time from a registration in the PBX to its row changing in Chromium.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh
cargo leptos build --release >/dev/null
export ISPBX_BENCH_CONF="${TMPDIR:-/tmp}/ispbx-bench/pjsip.conf"
mkdir -p "$(dirname "$ISPBX_BENCH_CONF")"
"$ROOT/target/release/ispbx" pjsip generate "${ENDPOINTS:-5000}" >"$ISPBX_BENCH_CONF"
cd end2end && npx playwright test -c playwright.bench.config.ts
