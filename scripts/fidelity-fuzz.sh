#!/usr/bin/env bash
# The generative differential run against a real Asterisk (not part of every
# CI run): random and mutated pjsip.conf files, each loaded into a fresh
# Asterisk and compared with ISPBX; each divergence is minimised and saved
# under tests/fidelity/cases/gen-* with Asterisk's answer, to be named and fixed.
#   ISPBX_FUZZ_MINUTES=30 scripts/fidelity-fuzz.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
ISPBX_TEST_ASTERISK="$(scripts/asterisk.sh locate)"
export ISPBX_TEST_ASTERISK ISPBX_FUZZ_MINUTES="${ISPBX_FUZZ_MINUTES:-30}"
cargo test --features ssr --test fidelity_fuzz -- --ignored --nocapture
