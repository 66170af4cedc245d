#!/usr/bin/env bash
# Re-records Asterisk's answer (asterisk.json) for every case in
# tests/fidelity/cases: after adding a case, or for a new Asterisk version.
# Review the diff: each change is a change in what Asterisk does.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ISPBX_TEST_ASTERISK="$(scripts/asterisk.sh locate)"
export ISPBX_TEST_ASTERISK ISPBX_FIDELITY_RECORD=1
cargo test --features ssr --test fidelity -- asterisk_still_answers_what_was_recorded
git status --short tests/fidelity
