#!/usr/bin/env bash
# Runs the crash harness with 20 trials per step (SIGKILL at each step of the refresh protocol,
# real processes, fake Xero on loopback), once with the real keychain and once with the file
# vault, and writes both tables into docs/RELIABILITY.md. Usage: scripts/crash-report.sh [TRIALS]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
TRIALS="${1:-20}"
TABLE="$(mktemp)" FILE_TABLE="$(mktemp)"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
TENANTRY_CRASH_TRIALS="$TRIALS" TENANTRY_CRASH_REPORT="$TABLE" TENANTRY_REQUIRE_KEYRING=1 \
  TENANTRY_CRASH_REPORT_FILE_VAULT="$FILE_TABLE" \
  dbus-run-session -- scripts/lib/with-private-keyring.sh \
  cargo test -q -p tenantry-tests --test e2e crash:: -- --test-threads 1
scripts/lib/write-report.py docs/RELIABILITY.md crash-report "$TABLE" "scripts/crash-report.sh $TRIALS" " ($TRIALS trials per step, the keychain)"
scripts/lib/write-report.py docs/RELIABILITY.md crash-report-file-vault "$FILE_TABLE" "scripts/crash-report.sh $TRIALS" " ($TRIALS trials per step, the file vault)"
cat "$TABLE" "$FILE_TABLE"
