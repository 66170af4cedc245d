#!/usr/bin/env bash
# The Playwright access tests' server: no anonymous read, one account of each
# role (made before it starts, so no first-start admin is made).
#   env: ISPBX_STATE_DIR E2E_ADMIN E2E_ADMIN_PASSWORD E2E_VIEWER E2E_VIEWER_PASSWORD, and serve's own
set -euo pipefail
BIN="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target/release/ispbx"
printf '%s\n' "$E2E_ADMIN_PASSWORD" | "$BIN" user add "$E2E_ADMIN" --role admin
printf '%s\n' "$E2E_VIEWER_PASSWORD" | "$BIN" user add "$E2E_VIEWER" --role viewer
exec "$BIN" serve
