#!/usr/bin/env bash
# Checks the dependency tree against deny.toml with cargo-deny (installed by scripts/setup.sh
# --browser): licenses, bans (duplicate versions are warnings) and sources, always; advisories
# only when the RustSec database can be fetched, which from a machine that reaches nothing but
# the package registries it cannot (see docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
step() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

step "cargo deny: licenses, bans, sources"
cargo deny --locked check bans licenses sources

# The database is a git repository outside the registries; `fetch` fails at once without it.
if cargo deny fetch db >/dev/null 2>&1; then
  step "cargo deny: advisories"
  cargo deny --locked check advisories
else
  printf '\033[1;33mSKIPPED\033[0m cargo deny check advisories: %s\n        %s\n' \
    "the RustSec advisory database cannot be fetched from this machine." \
    "Run scripts/deny.sh where it can be (docs/testing.md)." >&2
fi
