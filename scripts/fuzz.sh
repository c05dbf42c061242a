#!/usr/bin/env bash
# The long run of the fuzz targets in fuzz/ with libFuzzer (the short run of the same properties is
# proptest, in `cargo test`; see docs/testing.md). Needs a nightly toolchain and cargo-fuzz:
#
#   rustup toolchain install nightly          (where the machine can download toolchains)
#   cargo install cargo-fuzz --version 0.13.2 --locked
#
#   scripts/fuzz.sh                 every target for 300 s
#   scripts/fuzz.sh 60 rules_toml   one target for 60 s
#
# New corpus entries go to fuzz/corpus/<target> and crashes to fuzz/artifacts/<target> (neither is
# committed); the seeds in fuzz/seeds/<target> start each run. A target that fails does not stop
# the others; the script fails at the end, naming them.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

seconds=${1:-300}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

dictionary() {
  case "$1" in
    protocol_visitor_frame | protocol_agent_frame | client_visitor_decoding) echo fuzz/dicts/json_frames.dict ;;
    rules_wire | rules_history) echo fuzz/dicts/rules_wire.dict ;;
    rules_toml) echo fuzz/dicts/rules_toml.dict ;;
  esac
}

failed=()
for target in "${targets[@]}"; do
  printf '\033[1;34m==>\033[0m %s for %s s\n' "$target" "$seconds" >&2
  corpus="$PWD/fuzz/corpus/$target"
  seeds="$PWD/fuzz/seeds/$target"
  mkdir -p "$corpus"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
  dict=$(dictionary "$target")
  if [ -n "$dict" ]; then
    args+=(-dict="$PWD/$dict")
  fi
  dirs=("$corpus")
  if [ -d "$seeds" ]; then
    dirs+=("$seeds")
  fi
  if ! cargo +nightly fuzz run "$target" "${dirs[@]}" -- "${args[@]}"; then
    failed+=("$target")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  printf '\033[1;31mfailed:\033[0m %s (inputs in fuzz/artifacts/)\n' "${failed[*]}" >&2
  exit 1
fi
