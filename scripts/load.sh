#!/usr/bin/env bash
# Load benchmark of the JSON API against the release build:
#   GET /endpoints with the fixture config (14 endpoints) and with a generated
#   5,000-endpoint config, 32 concurrent clients for 10 s each (wrk), and the
#   AMI actions the simulated PBX received meanwhile (the goal is 0).
#
#   scripts/load.sh                 # both configs
#   DURATION=30s CONNECTIONS=64 scripts/load.sh
#   ISPBX_BIN=/tmp/ispbx-old scripts/load.sh   # another build of the server, to compare
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"

if ! command -v wrk >/dev/null; then
  echo "[load] apt: installing wrk"
  as_root apt-get install -y -qq wrk
fi
if [ -z "${ISPBX_BIN:-}" ]; then cargo leptos build --release >/dev/null; fi
BIN="${ISPBX_BIN:-$ROOT/target/release/ispbx}"
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

SECRET="load-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"

# One AMI exchange with the simulator; prints ActionsReceived.
ami_actions() {
  local host=${1%:*} port=${1##*:} line n=""
  exec 3<>"/dev/tcp/$host/$port"
  printf 'Action: Login\r\nUsername: load\r\nSecret: %s\r\nEvents: off\r\n\r\nAction: SimStats\r\nActionID: s\r\n\r\nAction: Logoff\r\n\r\n' "$SECRET" >&3
  while IFS= read -r -t 5 line <&3; do
    case "$line" in ActionsReceived:*) n="${line#ActionsReceived: }"; n="${n%$'\r'}";; esac
  done
  exec 3<&-
  echo "$n"
}

# Waits until $1 prints a line with "$2" in its log file; echoes the word after it.
wait_for() {
  local log=$1 marker=$2
  for _ in $(seq 1 200); do
    if grep -q "$marker" "$log" 2>/dev/null; then
      grep -m1 -o "$marker[^ ]*" "$log" | sed "s|$marker||"; return 0
    fi
    sleep 0.05
  done
  echo "[load] gave up waiting for '$marker' in $log" >&2; cat "$log" >&2; return 1
}

run() {
  local name=$1 conf=$2
  ISPBX_PJSIP_CONF="$conf" "$BIN" simulate --demo --ami-listen 127.0.0.1:0 --sim-username load --sim-secret "$SECRET" \
    >"$WORK/sim-$name.log" 2>&1 &
  PIDS+=($!)
  local ami; ami=$(wait_for "$WORK/sim-$name.log" "speaks AMI on ")
  ISPBX_LISTEN=127.0.0.1:0 ISPBX_PJSIP_CONF="$conf" ISPBX_AMI_ADDR="$ami" ISPBX_AMI_USERNAME=load \
    ISPBX_ANONYMOUS_READ=on ISPBX_STATE_DIR="$WORK/state-$name" \
    ISPBX_AMI_SECRET="$SECRET" RUST_LOG=warn,ispbx=info "$BIN" serve >"$WORK/serve-$name.log" 2>&1 &
  PIDS+=($!)
  local http; http=$(wait_for "$WORK/serve-$name.log" "listening on http://")
  for _ in $(seq 1 200); do
    curl -fs "http://$http/endpoints" | grep -q '"connected":true' && break
    sleep 0.05
  done
  local n bytes
  n=$(curl -fs "http://$http/endpoints" | grep -o '"objectname"' | wc -l)
  bytes=$(curl -fs "http://$http/endpoints" | wc -c)
  local before; before=$(ami_actions "$ami")
  echo
  echo "== $name: GET /endpoints, $n endpoints, $bytes bytes per answer; $CONNECTIONS clients for $DURATION"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "http://$http/endpoints" | tee "$WORK/wrk-$name.txt"
  local after; after=$(ami_actions "$ami")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk-$name.txt")
  p50=$(awk '$1=="50%" {print $2}' "$WORK/wrk-$name.txt")
  p99=$(awk '$1=="99%" {print $2}' "$WORK/wrk-$name.txt")
  echo "-- $name: $rps req/s, p50 $p50, p99 $p99, AMI actions during the run: $((after - before))"
  SUMMARY+=("$(printf '%-22s %6s endpoints  %10s req/s  p50 %-9s p99 %-9s AMI actions %s' "$name" "$n" "$rps" "$p50" "$p99" "$((after - before))")")
}

SUMMARY=()
# The 14 endpoints Asterisk was recorded with.
run fixture-config "$ROOT/tests/fixtures/pjsip/pjsip.conf"
mkdir -p "$WORK/big"
"$BIN" pjsip generate 5000 >"$WORK/big/pjsip.conf"
run generated-5000 "$WORK/big/pjsip.conf"

echo
echo "== summary ($(nproc) cores, wrk -t$THREADS -c$CONNECTIONS -d$DURATION)"
printf '   %s\n' "${SUMMARY[@]}"
