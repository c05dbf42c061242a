#!/usr/bin/env bash
# Installs what building (and, with --browser, testing) needs, exactly as ../shared/TOOLCHAIN.md
# says, skipping whatever is already there at the right version. Safe to run any number of times.
#
#   scripts/setup.sh            wasm target, trunk, wasm-bindgen-cli, wasm-opt
#   scripts/setup.sh --browser  the same, plus what only the tests need: Chromium and ChromeDriver
#                               for the browser tests, cargo-deny for the dependency checks
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132
# 0.20.x builds with rustc 1.88 and later.
CARGO_DENY_VERSION=0.20.2
# wasm-bindgen-cli must equal the wasm-bindgen library in Cargo.lock, or the build fails.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)

step() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
have_version() { command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -qF "$2"; }

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    step "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_trunk() {
  if ! have_version trunk "trunk $TRUNK_VERSION"; then
    step "installing trunk $TRUNK_VERSION (about 5 minutes on 2 cores)"
    # 0.22 needs a newer rustc than this machine has.
    cargo install trunk --version "$TRUNK_VERSION" --locked
  fi
}

ensure_wasm_bindgen() {
  if ! have_version wasm-bindgen "wasm-bindgen $WASM_BINDGEN_VERSION"; then
    step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2 minutes)"
    # Without --locked: one of its locked dependency versions is missing from the registry.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  fi
}

ensure_node_tools() {
  # binaryen from npm (its wasm-opt runs under node). Never Debian's binaryen: its wasm-opt 108
  # silently writes modules that fail in the browser. And terser, which minifies the widget's JS,
  # and axe-core, which the browser tests inject to audit accessibility.
  if ! have_version tools/node_modules/.bin/wasm-opt "version_$BINARYEN_VERSION" || ! [ -x tools/node_modules/.bin/terser ] \
    || ! [ -f tools/node_modules/axe-core/axe.min.js ]; then
    step "installing wasm-opt (binaryen $BINARYEN_VERSION), terser and axe-core (npm)"
    npm ci --prefix tools --no-audit --no-fund --loglevel=error
  fi
}

ensure_cargo_deny() {
  if ! have_version cargo-deny "cargo-deny $CARGO_DENY_VERSION"; then
    step "installing cargo-deny $CARGO_DENY_VERSION (about 4 minutes on 2 cores)"
    # Its release profile asks for fat LTO and one codegen unit, which only makes the build slow.
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked
  fi
}

ensure_browser() {
  if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
    return
  fi
  step "installing Chromium and ChromeDriver (Debian packages)"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver fonts-noto-core fonts-noto-color-emoji >/dev/null
}

ensure_wasm_target
ensure_trunk
ensure_wasm_bindgen
ensure_node_tools
if [ "${1:-}" = "--browser" ]; then
  ensure_browser
  ensure_cargo_deny
fi
