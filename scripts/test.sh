#!/usr/bin/env bash
# Runs the whole test suite, as CI does: installs what is missing (including Chromium), builds the
# release front end, checks the dependency tree (cargo deny), then runs the native tests (protocol,
# relay, widget logic, the fuzz targets' properties under proptest, browser end-to-end tests of the
# release build, size budgets) and the browser-side tests of the client library.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh --browser
export PATH="$PWD/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Screenshots and other artifacts of the browser tests land here.
export CHECKOUT_CHAT_ARTIFACTS="$PWD/test-artifacts"
mkdir -p "$CHECKOUT_CHAT_ARTIFACTS"
# Licenses, duplicate versions, sources; advisories where their database can be fetched.
scripts/deny.sh
cargo test --locked --workspace
# The serde-free wire codec runs in the browser (it uses the browser's JSON): checked there.
CHROMEDRIVER=/usr/bin/chromedriver cargo test --locked -p checkout-chat-client --target wasm32-unknown-unknown
