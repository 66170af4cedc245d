#!/usr/bin/env bash
# Command one: set up what is missing, build the release, and serve the
# dashboard and the API at http://localhost:8000.
#
# Without ISPBX_PJSIP_CONF it serves the sample PBX in examples/sample-pbx.
# Stopping it (Ctrl-C, or SIGTERM from a supervisor) stops everything it started.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh

echo "[run] building the release (server and WASM)"
cargo leptos build --release

# Children run in the background and the script waits for them: a signal
# reaches a waiting shell at once (not after its foreground child ends), and
# the EXIT trap takes every child down with it.
CHILDREN=()
stop_children() {
  trap - EXIT INT TERM
  [ ${#CHILDREN[@]} -eq 0 ] || kill "${CHILDREN[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop_children EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export ISPBX_SITE_ROOT="${ISPBX_SITE_ROOT:-$ROOT/target/site}"
if [ -z "${ISPBX_PJSIP_CONF:-}" ]; then
  # No Asterisk configured: the sample PBX, made live by the simulator, for
  # anyone on this machine to look at without logging in (loopback only: the
  # server refuses anonymous read elsewhere unless told it is public).
  export ISPBX_PJSIP_CONF="$ROOT/examples/sample-pbx/pjsip.conf"
  export ISPBX_ANONYMOUS_READ="${ISPBX_ANONYMOUS_READ:-on}"
  if [ -z "${ISPBX_AMI_USERNAME:-}" ]; then
    export ISPBX_AMI_ADDR=127.0.0.1:15038 ISPBX_AMI_USERNAME=ispbx-demo
    export ISPBX_AMI_SECRET="demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
    ISPBX_SIM_LISTEN=$ISPBX_AMI_ADDR ISPBX_SIM_USERNAME=$ISPBX_AMI_USERNAME ISPBX_SIM_SECRET=$ISPBX_AMI_SECRET \
      "$ROOT/target/release/ispbx" simulate --demo &
    CHILDREN+=($!)
    echo "[run] simulated PBX (demo) on $ISPBX_AMI_ADDR, pid ${CHILDREN[-1]}"
  fi
fi
echo "[run] serving $ISPBX_PJSIP_CONF on http://${ISPBX_LISTEN:-127.0.0.1:8000} (Ctrl-C stops)"
"$ROOT/target/release/ispbx" serve "$@" &
CHILDREN+=($!)
wait "${CHILDREN[-1]}"
