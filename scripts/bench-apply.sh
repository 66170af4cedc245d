#!/usr/bin/env bash
# Change -> verified, end to end, on the real Asterisk 22 and the release
# build: `PATCH /endpoints/{ext}/config` timed from the request to the answer
# (validate, write with backup, reload res_pjsip over AMI, verify), on the
# sample PBX and on a generated PBX of ENDPOINTS extensions (default 5,000).
# Also Asterisk's own reload of the same config. Figures, not a test.
#
#   scripts/bench-apply.sh            CHANGES=10 ENDPOINTS=5000 by default
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BIN="$ROOT/target/release/ispbx"
[ -x "$BIN" ] || { source scripts/setup.sh; cargo leptos build --release >/dev/null; }
AST="$(scripts/asterisk.sh locate)"
export ISPBX_TEST_ASTERISK="$AST"
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null; for s in "$WORK"/*/asterisk.conf; do [ -f "$s" ] && "$AST" -C "$s" -rx "core stop now" >/dev/null 2>&1; done; rm -rf "$WORK"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# bench NAME EXTENSION SIP AMI LABEL: Asterisk on $WORK/NAME, served with
# writes on; times CHANGES patches of EXTENSION's context.
bench() {
  local name=$5 ext=$2 state="$WORK/$1"
  local sip=$3 ami=$4 http; http=$(free_port)
  for _ in $(seq 300); do "$AST" -C "$state/asterisk.conf" -rx "core waitfullybooted" >/dev/null 2>&1 && break; sleep 0.1; done
  local t0 t1; t0=$(date +%s.%N)
  "$AST" -C "$state/asterisk.conf" -rx "module reload res_pjsip.so" >/dev/null
  t1=$(date +%s.%N)
  local token; token=$(ISPBX_STATE_DIR="$state/ispbx" "$BIN" token create bench --role admin)
  ISPBX_PJSIP_CONF="$state/etc/pjsip.conf" ISPBX_LISTEN="127.0.0.1:$http" ISPBX_AMI_ADDR="127.0.0.1:$ami" ISPBX_ANONYMOUS_READ=on ISPBX_RATE_LIMIT=off \
    ISPBX_AMI_USERNAME=ispbx ISPBX_AMI_SECRET=ispbx-test-ami-secret ISPBX_WRITES=on ISPBX_STATE_DIR="$state/ispbx" \
    ISPBX_REQUEST_TIMEOUT=30 RUST_LOG=warn,ispbx::pbx::apply=info "$BIN" serve 2>"$state/serve.log" &
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$http/readyz" >/dev/null && break; sleep 0.1; done
  local times=()
  for i in $(seq "${CHANGES:-10}"); do
    local etag; etag=$(curl -sfI "http://127.0.0.1:$http/endpoints/$ext/config" -H 'Accept: application/json' | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: //p')
    local out; out=$(curl -s -o "$state/answer.json" -w '%{http_code} %{time_total}' -X PATCH "http://127.0.0.1:$http/endpoints/$ext/config" \
      -H 'Content-Type: application/json' -H "Authorization: Bearer $token" -H "If-Match: $etag" -d "{\"set\": {\"context\": \"bench-$i\"}}")
    [ "${out%% *}" = 200 ] || { echo "$name: change $i answered ${out%% *}: $(cat "$state/answer.json")" >&2; exit 1; }
    times+=("${out#* }")
  done
  # The same reload from the CLI while ISPBX listens to Asterisk's events.
  local t2 t3; t2=$(date +%s.%N)
  "$AST" -C "$state/asterisk.conf" -rx "module reload res_pjsip.so" >/dev/null
  t3=$(date +%s.%N)
  python3 - "$name" "$t0" "$t1" "$t2" "$t3" "${times[@]}" <<'PY'
import statistics, sys
name, t0, t1, t2, t3, *ts = sys.argv[1:]
ms = sorted(float(t) * 1000 for t in ts)
print(f"{name}: Asterisk's own reload {1000 * (float(t1) - float(t0)):.0f} ms alone, {1000 * (float(t3) - float(t2)):.0f} ms with ISPBX listening; "
      f"change -> verified over {len(ms)} changes: min {ms[0]:.0f} ms, median {statistics.median(ms):.0f} ms, max {ms[-1]:.0f} ms")
PY
  # Where the time went, per step, for the last change (the server's log).
  grep -o 'timings=.*' "$state/serve.log" | tail -1 | sed "s/^/  $name: /"
}

start() {
  local name=$1 state="$WORK/$1" sip ami; sip=$(free_port); ami=$(free_port)
  AST_AMI_PORT=$ami AST_SIP_PORT=$sip AST_RTP_START=30000 AST_RTP_END=30100 scripts/asterisk.sh prepare "$state" >/dev/null
  if [ "$name" != sample ]; then
    # One transport on the instance's own port; no included files.
    "$BIN" pjsip generate "${ENDPOINTS:-5000}" | sed "s/^bind=.*/bind=127.0.0.1:$sip/" >"$state/etc/pjsip.conf"
  fi
  "$AST" -f -C "$state/asterisk.conf" >"$state/console.out" 2>&1 &
  echo "$sip $ami"
}

read -r sip ami < <(start sample)
bench sample 1001 "$sip" "$ami" sample
read -r sip ami < <(start generated)
bench generated 10100 "$sip" "$ami" "generated ${ENDPOINTS:-5000}"
