#!/usr/bin/env bash
# Runs the load tests for SECONDS (default 60) and writes the figures into docs/RELIABILITY.md:
# one profile (16 `tenantry token` process loops and 64 in-process tasks over a 20-login,
# 200-organisation fixture), and a practice at full size (4 machines, each its own D-Bus session
# and keyring, × 8 processes × 64 tasks, on a private PostgreSQL cluster), both against 2-second
# access tokens. Usage: scripts/load-report.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
SECS="${1:-60}"
TABLE="$(mktemp)" PRACTICE_TABLE="$(mktemp)"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
TENANTRY_LOAD_SECS="$SECS" TENANTRY_LOAD_REPORT="$TABLE" TENANTRY_REQUIRE_KEYRING=1 \
  TENANTRY_PRACTICE_LOAD_SECS="$SECS" TENANTRY_PRACTICE_LOAD_REPORT="$PRACTICE_TABLE" \
  dbus-run-session -- scripts/lib/with-postgres.sh scripts/lib/with-private-keyring.sh \
  cargo test -q -p tenantry-tests --test e2e -- --test-threads 1 --exact \
  load::under_load_every_call_succeeds_and_no_refresh_token_is_spent_twice \
  practice_full::four_machines_each_its_own_session_8_processes_of_64_tasks_refresh_the_minimum
scripts/lib/write-report.py docs/RELIABILITY.md load-report "$TABLE" "scripts/load-report.sh $SECS" " on this project's 2-core machine"
scripts/lib/write-report.py docs/RELIABILITY.md practice-load-report "$PRACTICE_TABLE" "scripts/load-report.sh $SECS" " on this project's 2-core machine"
cat "$TABLE" "$PRACTICE_TABLE"
