#!/usr/bin/env bash
# The suite itself: formatting, lints, every test. scripts/test.sh runs it with the services set up.
set -euo pipefail
echo "==> cargo fmt --check" >&2
cargo fmt --all --check
echo "==> the CI workflows pass actionlint (and shellcheck on their scripts)" >&2
scripts/lib/lint-workflows.sh
echo "==> cargo clippy -D warnings" >&2
cargo clippy --workspace --all-targets --locked -- -D warnings
# The product links no test code: neither binary's normal dependencies hold tenantry-tests, the
# fake's test support or the engine's (the in-memory vault, the offset clock), and without the
# default `demo` feature they hold no fake at all. Features are resolved per package here, as for
# a product build (`cargo build -p …`).
echo "==> the product links no test code" >&2
tree() { cargo tree --locked --prefix none -e normal,features "$@"; }
# The check must be able to fail: the test crate does turn both test supports on.
for crate in tenantry-fake-xero tenantry-core; do
  tree -p tenantry-tests | grep -q "^$crate feature \"test-support\"" ||
    { echo "the dependency check cannot see $crate's test-support feature" >&2; exit 1; }
done
for pkg in tenantry-cli tenantry-desktop; do
  if tree -p "$pkg" | grep -E '^tenantry-tests |feature "test-support"'; then
    echo "$pkg links test code (above)" >&2
    exit 1
  fi
  if tree -p "$pkg" --no-default-features | grep -E '^tenantry-(fake-xero|demo) '; then
    echo "$pkg without its demo feature still links the fake (above)" >&2
    exit 1
  fi
done
# ... and they build, and pass the lints, that way.
cargo clippy --locked -p tenantry-cli -p tenantry-desktop --no-default-features -- -D warnings
# The engine's, the gateway's and the CLI's macOS and Windows code compiles nowhere else here: type-check and lint
# it for both (no link, so no platform SDK; SQLite's C is not compiled, hence the pkg-config
# variables).
# With the demo: there the fake signs with pure-Rust RSA, not aws-lc-rs (fake-xero/src/signing.rs).
for target in x86_64-apple-darwin x86_64-pc-windows-msvc; do
  echo "==> cargo clippy --target $target" >&2
  LIBSQLITE3_SYS_USE_PKG_CONFIG=1 SQLITE3_LIB_DIR=/nonexistent cargo clippy --quiet --locked \
    --target "$target" -p tenantry-core -p tenantry-gateway -p tenantry-cli -p tenantry-demo -- -D warnings
done
echo "==> cargo test" >&2
# A failure's message comes first and its backtrace after; with two or three failures the
# backtraces fill the end of the output, which is all a CI excerpt shows. So a failing run ends
# with the messages again, each cut before its backtrace.
TEST_LOG="$(mktemp -t tenantry-cargo-test.XXXXXX)"
if ! cargo test --workspace --locked "$@" 2>&1 | tee "$TEST_LOG"; then
  echo "==> what failed (the messages above, without their backtraces)" >&2
  awk '/^---- .* ----$/ { show = 1; lines = 0 }
       /^stack backtrace:$|^note: run with|^failures:$/ { show = 0 }
       show && lines++ < 25' "$TEST_LOG" >&2
  rm -f "$TEST_LOG"
  exit 1
fi
rm -f "$TEST_LOG"
# Windows, run for real under Wine: the engine's and the gateway's unit tests and the portable
# end-to-end tests, built for x86_64-pc-windows-gnu (a full run only: it builds a second target).
if [ $# -eq 0 ]; then
  scripts/lib/windows.sh
fi
# Benchmarks are not timed tests: CI only checks that each still runs and that the report builds.
echo "==> benchmarks, smoke mode" >&2
SMOKE="$(mktemp -d -t tenantry-bench-smoke.XXXXXX)"
bench() { cargo run --quiet --locked -p tenantry-tests --bin tenantry-bench -- "$@"; }
bench cold-token --runs 2 >"$SMOKE/cold.json"
bench stalled --runs 2 >"$SMOKE/stalled.json"
bench single-flight --logins 3 --callers 30 --processes 2 >"$SMOKE/single.json"
bench keepalive --logins 10 --latency-ms 5 >"$SMOKE/keepalive.json"
bench practice --logins 3 --callers 30 --machines 2 --keep-logins 10 --latency-ms 5 --hot-batches 3 >"$SMOKE/practice.json"
bench scale --sizes 2,4 --runs 1 >"$SMOKE/scale.json"
bench gateway-agent --runs 2 >"$SMOKE/gateway-agent.json"
bench gateway-overhead --requests 20 >"$SMOKE/gateway-overhead.json"
# A 2-second minute (debug builds honour it): two windows of 3 organisations in 4 s.
bench gateway-budgets --seconds 4 --clients 4 --orgs 3 --minute-ms 2000 >"$SMOKE/gateway-budgets.json"
# Three lifetimes of 2-second tokens, a call a second to each of two logins.
bench gateway-mcp --seconds 6 --lifetime 2 >"$SMOKE/gateway-mcp.json"
# Three practice members' gateways, six clients each on two organisations, two 2-second windows.
bench gateway-practice --machines 3 --clients 6 --orgs 2 --seconds 4 --minute-ms 2000 >"$SMOKE/gateway-practice.json"
bench gateway-egress --calls 200 --kill-after-ms 1000 >"$SMOKE/gateway-egress.json"
bench gateway-starter --calls 1010 --minute-ms 200 >"$SMOKE/gateway-starter.json"
bench each --logins 2 --orgs 3 --pages 2 --runs 1 >"$SMOKE/each.json"
TENANTRY_BENCH_ALLOCS="$SMOKE/allocs.json" cargo test --quiet --locked -p tenantry-tests --bench access_token
TENANTRY_BENCH_DESKTOP="$SMOKE/desktop.json" TENANTRY_BENCH_LAUNCHES=1 TENANTRY_BENCH_IDLE_MINUTES=0 \
  cargo test --quiet --locked -p tenantry-tests --test e2e -- --ignored --exact desktop::desktop_benchmark
scripts/lib/bench-report.py "$SMOKE" target/criterion >"$SMOKE/table.md"
grep -q "Single flight" "$SMOKE/table.md" && grep -q "stalls no other" "$SMOKE/table.md" && grep -q "Desktop" "$SMOKE/table.md" &&
  grep -q "egress meter" "$SMOKE/table.md" && grep -q "Fan-out reads" "$SMOKE/table.md"
rm -rf "$SMOKE"
# ts-rs rewrote ui/src/bindings during the tests; the checked-in bindings must match the Rust types.
echo "==> IPC bindings are current" >&2
if [ -n "$(git status --porcelain -- ui/src/bindings)" ]; then
  git status --short -- ui/src/bindings >&2
  echo "ui/src/bindings differs from the Rust types: run cargo test and commit the result." >&2
  exit 1
fi
(cd ui && npm run --silent check)
