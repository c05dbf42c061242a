#!/usr/bin/env bash
# Builds everything (installing what is missing) and starts the relay with the demo shop on
# http://127.0.0.1:8080 and the agent console on http://127.0.0.1:8080/console. Extra arguments go
# to the relay (e.g. --listen 127.0.0.1:9000, --config checkout-chat.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
exec target/release/relay "$@"
