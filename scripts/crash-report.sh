#!/usr/bin/env bash
# Runs the crash harness with 20 trials per step (SIGKILL at each step of the refresh protocol,
# real processes, fake Xero on loopback), with the real keychain, with the file vault, and in a
# practice on a private PostgreSQL cluster, and writes the three tables into docs/RELIABILITY.md. Usage: scripts/crash-report.sh [TRIALS]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
TRIALS="${1:-20}"
TABLE="$(mktemp)" FILE_TABLE="$(mktemp)" PRACTICE_TABLE="$(mktemp)"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
TENANTRY_CRASH_TRIALS="$TRIALS" TENANTRY_CRASH_REPORT="$TABLE" TENANTRY_REQUIRE_KEYRING=1 \
  TENANTRY_CRASH_REPORT_FILE_VAULT="$FILE_TABLE" TENANTRY_CRASH_REPORT_PRACTICE="$PRACTICE_TABLE" \
  dbus-run-session -- scripts/lib/with-postgres.sh scripts/lib/with-private-keyring.sh \
  cargo test -q -p tenantry-tests --test e2e crash:: -- --test-threads 1
scripts/lib/write-report.py docs/RELIABILITY.md crash-report "$TABLE" "scripts/crash-report.sh $TRIALS" " ($TRIALS trials per step, the keychain)"
scripts/lib/write-report.py docs/RELIABILITY.md crash-report-file-vault "$FILE_TABLE" "scripts/crash-report.sh $TRIALS" " ($TRIALS trials per step, the file vault)"
scripts/lib/write-report.py docs/RELIABILITY.md crash-report-practice "$PRACTICE_TABLE" "scripts/crash-report.sh $TRIALS" " ($TRIALS trials per step, a practice: DESK-A killed, NIGHTLY-BOX recovers)"
cat "$TABLE" "$FILE_TABLE" "$PRACTICE_TABLE"
