#!/usr/bin/env bash
# Runs the load test for SECONDS (default 60): 16 `tenantry token` process loops and 64 in-process
# tasks over a 20-login, 200-organisation fixture with 2-second access tokens, and writes the
# figures into docs/RELIABILITY.md. Usage: scripts/load-report.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
SECS="${1:-60}"
TABLE="$(mktemp)"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
TENANTRY_LOAD_SECS="$SECS" TENANTRY_LOAD_REPORT="$TABLE" TENANTRY_REQUIRE_KEYRING=1 \
  dbus-run-session -- scripts/lib/with-private-keyring.sh \
  cargo test -q -p tenantry-tests --test e2e load:: -- --exact load::under_load_every_call_succeeds_and_no_refresh_token_is_spent_twice
scripts/lib/write-report.py docs/RELIABILITY.md load-report "$TABLE" "scripts/load-report.sh $SECS" " on this project's 2-core machine"
cat "$TABLE"
