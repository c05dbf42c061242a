#!/usr/bin/env bash
# Runs the whole test suite, as CI does: installs what is missing (including Chromium), builds the
# release front end, then runs the protocol and relay tests and the browser end-to-end tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh --browser
export PATH="$PWD/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Screenshots and other artifacts of the browser tests land here.
export CHECKOUT_CHAT_ARTIFACTS="$PWD/test-artifacts"
mkdir -p "$CHECKOUT_CHAT_ARTIFACTS"
cargo test --locked --workspace
