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
python3 - "$TABLE" "$TRIALS" <<'PY'
import sys, datetime, re
table = open(sys.argv[1]).read().strip()
trials = sys.argv[2]
doc_path = "docs/RELIABILITY.md"
doc = open(doc_path).read()
block = (f"<!-- crash-report:begin -->\n"
         f"Measured {datetime.date.today().isoformat()} with `scripts/crash-report.sh {trials}` ({trials} trials per step):\n\n"
         f"{table}\n<!-- crash-report:end -->")
doc = re.sub(r"<!-- crash-report:begin -->.*?<!-- crash-report:end -->", block, doc, flags=re.S)
open(doc_path, "w").write(doc)
PY
cat "$TABLE"
