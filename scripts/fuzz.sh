#!/usr/bin/env bash
# Fuzzes the parsers that read hostile input (the redirect's query string, the loopback listener's
# request head, the token endpoint's body, the gateway's request path) with cargo-fuzz /
# libFuzzer, SECONDS each (default 60).
# cargo-fuzz needs nightly features; RUSTC_BOOTSTRAP=1 enables them on the stable toolchain.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
SECS="${1:-60}"
cd fuzz
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
for target in callback request_head token_response gateway_path; do
  echo "== $target ($SECS s)"
  cargo fuzz run -O "$target" -- -max_total_time="$SECS" 2>&1 | grep -E "^Done|DONE|SUMMARY|panicked" || true
done
