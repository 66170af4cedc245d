#!/usr/bin/env bash
# Installs what ISPBX Manager needs to build and test, and skips what is there.
# Safe to run again and again. Sourced by run.sh and test.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen pin in Cargo.toml
BINARYEN_VERSION=132.0.0       # never Debian's binaryen 108: its output never hydrates

export PATH="$ROOT/.tools/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif have sudo; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

apt_missing=()
[ -x /usr/bin/chromium ] || apt_missing+=(chromium)
have node || apt_missing+=(nodejs)
have npm || apt_missing+=(npm)
have cc || apt_missing+=(build-essential)
have curl || apt_missing+=(curl)
have python3 || apt_missing+=(python3)
if [ ${#apt_missing[@]} -gt 0 ]; then
  say "apt: installing ${apt_missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_missing[@]}"
fi

if ! have cargo; then
  # Debian's own rustc (1.63) is far too old for leptos 0.8; rustup is the way.
  say "rustup: installing the stable Rust toolchain"
  if ! curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component clippy; then
    echo "could not install Rust: install it with rustup (https://rustup.rs) and run this again" >&2
    exit 1
  fi
fi
cargo clippy --version >/dev/null 2>&1 || { say "rustup: adding clippy"; rustup component add clippy; }

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "rustup: adding wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -qx "cargo-leptos $CARGO_LEPTOS_VERSION"; then
  say "cargo: installing cargo-leptos $CARGO_LEPTOS_VERSION (about 10 minutes, once)"
  # no_downloads: cargo-leptos must not fetch tools from GitHub; we provide them.
  cargo install --locked --features no_downloads cargo-leptos --version "$CARGO_LEPTOS_VERSION"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WASM_BINDGEN_VERSION"; then
  say "cargo: installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: its lock file names a crate version crates.io no longer has.
  cargo install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# wasm-opt lives in the project's .tools, first on PATH, so a system binaryen
# (Debian ships 108) can never be picked up by cargo-leptos.
if ! "$ROOT/.tools/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then
  say "npm: installing binaryen $BINARYEN_VERSION into .tools/"
  mkdir -p "$ROOT/.tools"
  npm install --prefix "$ROOT/.tools" --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION"
fi

if [ ! -d "$ROOT/end2end/node_modules/@playwright/test" ] ||
   [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
  say "npm: installing end2end packages (Playwright uses Debian's Chromium)"
  (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --silent)
fi

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
