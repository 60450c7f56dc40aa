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
python3 - "$TABLE" "$SECS" <<'PY'
import sys, datetime, re
table = open(sys.argv[1]).read().strip()
doc_path = "docs/RELIABILITY.md"
doc = open(doc_path).read()
block = (f"<!-- load-report:begin -->\n"
         f"Measured {datetime.date.today().isoformat()} with `scripts/load-report.sh {sys.argv[2]}` on this project's 2-core machine:\n\n"
         f"{table}\n<!-- load-report:end -->")
doc = re.sub(r"<!-- load-report:begin -->.*?<!-- load-report:end -->", block, doc, flags=re.S)
open(doc_path, "w").write(doc)
PY
cat "$TABLE"
