#!/usr/bin/env bash
# Runs the crash harness with 20 trials per step (SIGKILL at each step of the refresh protocol,
# real processes, real keychain, fake Xero on loopback) and writes the figures into
# docs/RELIABILITY.md. Usage: scripts/crash-report.sh [TRIALS]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
TRIALS="${1:-20}"
TABLE="$(mktemp)"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
TENANTRY_CRASH_TRIALS="$TRIALS" TENANTRY_CRASH_REPORT="$TABLE" TENANTRY_REQUIRE_KEYRING=1 \
  dbus-run-session -- scripts/lib/with-private-keyring.sh \
  cargo test -q -p tenantry-tests --test e2e crash:: -- --exact crash::a_refresh_killed_at_any_step_loses_nothing
scripts/lib/write-report.py docs/RELIABILITY.md crash-report "$TABLE" "scripts/crash-report.sh $TRIALS" " ($TRIALS trials per step)"
cat "$TABLE"
