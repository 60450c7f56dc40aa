#!/usr/bin/env bash
# Runs every benchmark on this machine with a release build and writes the figures into
# docs/BENCHMARKS.md (see that file for what each one measures and its target).
# Usage: scripts/bench.sh [--quick]
#   --quick   small sizes and few runs, to try the script out; the figures are not for the docs
#             unless you want them there (they are written all the same, marked as quick).
# CI does not run this; it runs each benchmark once, tiny, in a smoke mode (scripts/lib/checks.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# The MCP scenario's client is the official MCP Python SDK in setup's venv (TENANTRY_SDK_PYTHON).
# shellcheck source=scripts/lib/setup-sdks.sh
source scripts/lib/setup-sdks.sh
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"

QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
OUT="$(mktemp -d -t tenantry-bench.XXXXXX)"
trap 'rm -rf "$OUT"' EXIT

echo "==> release build" >&2
cargo build --release --locked -p tenantry-cli -p tenantry-tests -p tenantry-desktop --bins
BIN="$PWD/target/release"
if [ "$QUICK" = 1 ]; then
  SIZES=(--sizes 10,100); RUNS=5; LOGINS=10; CALLERS=100; KEEP=(--logins 100); CRITERION=(--warm-up-time 1 --measurement-time 2)
  DESKTOP=(TENANTRY_BENCH_LAUNCHES=3 TENANTRY_BENCH_IDLE_MINUTES=1)
else
  SIZES=(--sizes 10,100,1000); RUNS=30; LOGINS=50; CALLERS=1000; KEEP=(--logins 1000); CRITERION=()
  DESKTOP=(TENANTRY_BENCH_LAUNCHES=10 TENANTRY_BENCH_IDLE_MINUTES=30)
fi

# Every scenario signs users in for real, so each runs with a private, unlocked keyring.
# (and a private PostgreSQL cluster, for practice mode's figures beside the local ones).
private() { dbus-run-session -- scripts/lib/with-postgres.sh scripts/lib/with-private-keyring.sh "$@"; }
# The crash harness's pause points and the test clock exist in debug builds only: the release
# binary must ignore them, and the debug one (setup built it) must not, or the check proves nothing.
echo "==> release builds ignore the test hooks" >&2
private "$BIN/test-hooks" --tenantry "$BIN/tenantry" --expect ignored
private "$BIN/test-hooks" --tenantry "$PWD/target/debug/tenantry" --expect honoured
echo "==> cold token" >&2
private "$BIN/tenantry-bench" cold-token --runs "$RUNS" >"$OUT/cold.json"
echo "==> a stuck login stalls no other" >&2
private "$BIN/tenantry-bench" stalled --runs "$RUNS" >"$OUT/stalled.json"
echo "==> single flight" >&2
private "$BIN/tenantry-bench" single-flight --logins "$LOGINS" --callers "$CALLERS" --processes 8 >"$OUT/single.json"
echo "==> keep-alive" >&2
private "$BIN/tenantry-bench" keepalive "${KEEP[@]}" --latency-ms 50 >"$OUT/keepalive.json"
private "$BIN/tenantry-bench" keepalive "${KEEP[@]}" --latency-ms 50 --vault memory >"$OUT/keepalive-memory.json"
echo "==> practice mode beside the local mode" >&2
if [ "$QUICK" = 1 ]; then PRACTICE=(--logins 10 --callers 100 --keep-logins 100 --hot-batches 10); else PRACTICE=(--logins 50 --callers 1000 --keep-logins 1000 --hot-batches 30); fi
private "$BIN/tenantry-bench" practice "${PRACTICE[@]}" --machines 4 --latency-ms 50 >"$OUT/practice.json"
echo "==> scale" >&2
private "$BIN/tenantry-bench" scale "${SIZES[@]}" --runs 5 >"$OUT/scale.json"
echo "==> the gateway" >&2
private "$BIN/tenantry-bench" gateway-agent --runs "$RUNS" >"$OUT/gateway-agent.json"
private "$BIN/tenantry-bench" gateway-overhead --requests 1000 >"$OUT/gateway-overhead.json"
if [ "$QUICK" = 1 ]; then GATEWAY_BUDGETS=(--seconds 10 --clients 4 --orgs 3); else GATEWAY_BUDGETS=(--seconds 60 --clients 16 --orgs 10); fi
private "$BIN/tenantry-bench" gateway-budgets "${GATEWAY_BUDGETS[@]}" >"$OUT/gateway-budgets.json"
# Practice-wide budgets: 4 members' gateways, 4 client processes each, the same 10 organisations.
if [ "$QUICK" = 1 ]; then GATEWAY_PRACTICE=(--seconds 10 --orgs 3); else GATEWAY_PRACTICE=(--seconds 60 --orgs 10); fi
private "$BIN/tenantry-bench" gateway-practice --machines 4 --clients 4 "${GATEWAY_PRACTICE[@]}" >"$OUT/gateway-practice.json"
if [ "$QUICK" = 1 ]; then GATEWAY_MCP=(--seconds 20 --lifetime 4); else GATEWAY_MCP=(--seconds 180 --lifetime 6); fi
private "$BIN/tenantry-bench" gateway-mcp "${GATEWAY_MCP[@]}" >"$OUT/gateway-mcp.json"
if [ "$QUICK" = 1 ]; then EGRESS=(--calls 1000); else EGRESS=(--calls 10000); fi
private "$BIN/tenantry-bench" gateway-egress "${EGRESS[@]}" --kill-after-ms 3000 >"$OUT/gateway-egress.json"
# Starter's day on the debug gateway, the only one that takes a shortened minute: 1,200 calls at
# Xero's 60 a minute would take 20 minutes.
private "$BIN/tenantry-bench" gateway-starter --tenantry "$PWD/target/debug/tenantry" --calls 1200 --minute-ms 500 >"$OUT/gateway-starter.json"
if [ "$QUICK" = 1 ]; then EACH=(--logins 4 --orgs 10 --pages 3 --runs 3); else EACH=(--logins 10 --orgs 20 --pages 5 --runs 10); fi
private "$BIN/tenantry-bench" each "${EACH[@]}" >"$OUT/each.json"
echo "==> criterion" >&2
rm -rf target/criterion/valid_token
TENANTRY_BENCH_ALLOCS="$OUT/allocs.json" private \
  cargo bench --locked -p tenantry-tests --bench access_token -- "${CRITERION[@]}"
echo "==> desktop" >&2
(
  export "${DESKTOP[@]}" TENANTRY_BENCH_DESKTOP="$OUT/desktop.json" TENANTRY_REQUIRE_KEYRING=1
  private scripts/lib/with-desktop.sh \
    cargo test --release --locked -p tenantry-tests --test e2e -- --ignored --exact desktop::desktop_benchmark
)

scripts/lib/bench-report.py "$OUT" target/criterion >"$OUT/table.md"
NOTE=""
[ "$QUICK" = 1 ] && NOTE=" (quick mode: small sizes, not the targets' sizes)"
scripts/lib/write-report.py docs/BENCHMARKS.md bench "$OUT/table.md" "scripts/bench.sh${1:+ $1}" "$NOTE"
cat "$OUT/table.md"
