#!/usr/bin/env bash
# The relay benchmark in one command (see BENCHMARKS.md):
#   ./bench/run.sh            full run, about 10 minutes on 2 cores; updates BENCHMARKS.md,
#                             bench/plots/*.svg and bench/results/latest.json
#   ./bench/run.sh --quick    a smaller run, about 3 minutes; writes bench/results/quick.json
# Any other flag goes to the generator (`--help` lists them). It installs the reference relay's
# npm packages when they are missing or stale, builds the release relay and the generator, and
# starts and stops both relays itself (loopback only, temporary data).
set -euo pipefail
cd "$(dirname "$0")/.."

reference=bench/reference
if [ ! -d "$reference/node_modules/socket.io" ] || [ "$reference/package-lock.json" -nt "$reference/node_modules/.package-lock.json" ]; then
  echo "installing the reference relay's packages (npm ci)"
  (cd "$reference" && npm ci --no-audit --no-fund)
fi

cargo build --release -p checkout-chat-relay -p checkout-chat-bench

# The idle scenario holds up to 18,000 connections; each end needs a descriptor.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

export BENCH_COMMAND="./bench/run.sh${*:+ $*}"
exec target/release/checkout-chat-bench "$@"
