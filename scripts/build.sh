#!/usr/bin/env bash
# Builds everything in release mode: the relay binary, and the front end with Trunk (the demo
# shop with the widget into dist/shop, the agent console into dist/console).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh "$@"

# Trunk finds wasm-bindgen and wasm-opt on PATH and, being offline, cargo must have every crate.
export PATH="$PWD/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
cargo fetch --locked
printf '\033[1;34m==>\033[0m %s\n' "building the widget and the demo shop" >&2
trunk --skip-version-check --quiet build --release
printf '\033[1;34m==>\033[0m %s\n' "building the agent console" >&2
trunk --skip-version-check --quiet --config console/Trunk.toml build --release
printf '\033[1;34m==>\033[0m %s\n' "building the relay" >&2
cargo build --release --locked -p checkout-chat-relay
