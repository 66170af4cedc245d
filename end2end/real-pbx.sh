#!/usr/bin/env bash
# The real-PBX Playwright test's servers: a real Asterisk 22 on the tests'
# configuration (scripts/asterisk.sh, fresh state every run) and the release
# `ispbx serve` connected to it. Playwright ends both: it kills this process
# group when the run is over.
#   env: ISPBX_TEST_ASTERISK AST_AMI_PORT AST_SIP_PORT AST_RTP_START AST_RTP_END ISPBX_LISTEN
#        E2E_ADMIN E2E_ADMIN_PASSWORD (the admin the change tests log in as)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/end2end/test-results/real-pbx"
rm -rf "$STATE"
"$ROOT/scripts/asterisk.sh" prepare "$STATE"
printf '%s\n' "$E2E_ADMIN_PASSWORD" | ISPBX_STATE_DIR="$STATE/ispbx" "$ROOT/target/release/ispbx" user add "$E2E_ADMIN" --role admin
"$ISPBX_TEST_ASTERISK" -f -C "$STATE/asterisk.conf" >"$STATE/log/console.out" 2>&1 &
ISPBX_PJSIP_CONF="$STATE/etc/pjsip.conf" ISPBX_AMI_ADDR="127.0.0.1:$AST_AMI_PORT" \
  ISPBX_AMI_USERNAME=ispbx ISPBX_AMI_SECRET=ispbx-test-ami-secret \
  ISPBX_WRITES=on ISPBX_STATE_DIR="$STATE/ispbx" \
  "$ROOT/target/release/ispbx" serve &
# Either one ending is the end of the test servers.
wait -n
exit 1
