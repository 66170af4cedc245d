#!/usr/bin/env bash
# GET /events under load on the release build: a generated 5,000-endpoint
# PBX (the simulator), SUBSCRIBERS clients (default 1,000) following
# /events while RATE changes a second (default 100) are made for SECONDS
# (default 30). Prints whether every change reached every subscriber, and
# the server's CPU and memory. Figures, not a test.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="$ROOT/target/release/ispbx"
[ -x "$BIN" ] || { source scripts/setup.sh; cargo leptos build --release >/dev/null; }
ulimit -n 8192
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT
"$BIN" pjsip generate "${ENDPOINTS:-5000}" >"$WORK/pjsip.conf"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
AMI=$(free_port); HTTP=$(free_port)
ISPBX_PJSIP_CONF="$WORK/pjsip.conf" ISPBX_SIM_USERNAME=bench ISPBX_SIM_SECRET=bench-sim-secret \
  "$BIN" simulate --ami-listen "127.0.0.1:$AMI" 2>"$WORK/sim.log" &
ISPBX_PJSIP_CONF="$WORK/pjsip.conf" ISPBX_LISTEN="127.0.0.1:$HTTP" ISPBX_AMI_ADDR="127.0.0.1:$AMI" \
  ISPBX_AMI_USERNAME=bench ISPBX_AMI_SECRET=bench-sim-secret RUST_LOG=warn \
  ISPBX_ANONYMOUS_READ=on ISPBX_RATE_LIMIT=off ISPBX_STATE_DIR="$WORK/state" "$BIN" serve 2>"$WORK/serve.log" &
SERVER=$!
for _ in $(seq 200); do
  curl -sf "http://127.0.0.1:$HTTP/readyz" >/dev/null && break
  sleep 0.1
done
python3 scripts/bench-events.py --http "$HTTP" --ami "$AMI" --pid "$SERVER" \
  --subscribers "${SUBSCRIBERS:-1000}" --rate "${RATE:-100}" --seconds "${SECONDS_:-30}" --endpoints "${ENDPOINTS:-5000}"
