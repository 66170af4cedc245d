#!/usr/bin/env bash
# Command one: set up what is missing, build the release, and serve the
# dashboard and the API at http://localhost:8000.
#
# Without ISPBX_PJSIP_CONF it serves the sample PBX in examples/sample-pbx.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh

echo "[run] building the release (server and WASM)"
cargo leptos build --release

export ISPBX_PJSIP_CONF="${ISPBX_PJSIP_CONF:-$ROOT/examples/sample-pbx/pjsip.conf}"
export ISPBX_SITE_ROOT="${ISPBX_SITE_ROOT:-$ROOT/target/site}"
echo "[run] serving $ISPBX_PJSIP_CONF on http://${ISPBX_LISTEN:-127.0.0.1:8000} (Ctrl-C stops)"
exec "$ROOT/target/release/ispbx" serve "$@"
