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

export ISPBX_SITE_ROOT="${ISPBX_SITE_ROOT:-$ROOT/target/site}"
if [ -z "${ISPBX_PJSIP_CONF:-}" ]; then
  # No Asterisk configured: the sample PBX, made live by the simulator.
  export ISPBX_PJSIP_CONF="$ROOT/examples/sample-pbx/pjsip.conf"
  if [ -z "${ISPBX_AMI_USERNAME:-}" ]; then
    export ISPBX_AMI_ADDR=127.0.0.1:15038 ISPBX_AMI_USERNAME=ispbx-demo
    export ISPBX_AMI_SECRET="demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
    ISPBX_SIM_LISTEN=$ISPBX_AMI_ADDR ISPBX_SIM_USERNAME=$ISPBX_AMI_USERNAME ISPBX_SIM_SECRET=$ISPBX_AMI_SECRET \
      "$ROOT/target/release/ispbx" simulate --demo &
    SIM_PID=$!
    trap 'kill $SIM_PID 2>/dev/null' EXIT
    echo "[run] simulated PBX (demo) on $ISPBX_AMI_ADDR, pid $SIM_PID"
  fi
fi
echo "[run] serving $ISPBX_PJSIP_CONF on http://${ISPBX_LISTEN:-127.0.0.1:8000} (Ctrl-C stops)"
"$ROOT/target/release/ispbx" serve "$@"
