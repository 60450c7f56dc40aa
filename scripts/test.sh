#!/usr/bin/env bash
# Runs Tenantry's whole suite: formatting, lints, and every test, with the real services the tests
# need (a private D-Bus session with an unlocked gnome-keyring, a private PostgreSQL cluster for
# practice mode), stopping them afterwards.
# Usage: scripts/test.sh [extra arguments for cargo test]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# Where setup put the SDK clients the gateway and MCP tests run (TENANTRY_SDK_PYTHON, …).
# shellcheck source=scripts/lib/setup-sdks.sh
source scripts/lib/setup-sdks.sh

# The suite builds once per run (CI starts from a clean checkout): incremental compilation would
# only add its caches, some 6 GiB for the Linux and Windows targets together, on a CI disk that
# has run short before.
export CARGO_INCREMENTAL=0
echo "test.sh: $(df -Pm . | awk 'NR == 2 {print $4}') MiB free where the build goes" >&2

# A throwaway HOME keeps the test keyring, WebKit data and any config out of the user's own.
# rustup and cargo find themselves through these, not through HOME.
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
TEST_HOME="$(mktemp -d -t tenantry-test-home.XXXXXX)"
LEDGER_DIR="$(mktemp -d -t tenantry-ledger.XXXXXX)"
trap 'rm -rf "$TEST_HOME" "$LEDGER_DIR"' EXIT
export HOME="$TEST_HOME"
export XDG_CONFIG_HOME="$TEST_HOME/.config" XDG_DATA_HOME="$TEST_HOME/.local/share" XDG_CACHE_HOME="$TEST_HOME/.cache"
# The tests must not silently skip the keychain: a missing Secret Service fails them.
export TENANTRY_REQUIRE_KEYRING=1

# Tests about file permissions read the data as another, unprivileged user: root reads anything.
if [ "$(id -u)" -eq 0 ]; then
  PROBE_USER=tenantry-probe
  id -u "$PROBE_USER" >/dev/null 2>&1 ||
    useradd --system --no-create-home --shell /usr/sbin/nologin "$PROBE_USER"
  export TENANTRY_PROBE_USER="$PROBE_USER"
fi

# Everything the suite writes stays under TEST_HOME (test data directories are kept), and the fake
# Xero notes every secret it issues in a ledger outside it, so the scan below can prove none of
# them was left in a database, a log, the WebView's storage or the test output.
export TMPDIR="$TEST_HOME/tmp"
mkdir -p "$TMPDIR"
export TENANTRY_SECRET_LEDGER="$LEDGER_DIR/issued" TENANTRY_KEEP_TEST_DIRS=1

dbus-run-session -- scripts/lib/with-postgres.sh scripts/lib/with-private-keyring.sh \
  scripts/lib/with-desktop.sh scripts/lib/checks.sh "$@" \
  2>&1 | tee "$TEST_HOME/test-output.log"

# Only a full run issues enough secrets for the scan to mean something.
if [ $# -eq 0 ]; then
  echo "==> no secret the fake issued is anywhere the suite wrote" >&2
  scan() { cargo run --quiet --locked -p tenantry-tests --bin scan-secrets -- --ledger "$TENANTRY_SECRET_LEDGER" "$@"; }
  webview="$XDG_DATA_HOME/app.tenantry.desktop" # WebKit's local storage, caches and databases
  [ -d "$webview" ] || { echo "the WebView's storage ($webview) is missing: the desktop tests did not run" >&2; exit 1; }
  scan --min 200 "$TEST_HOME"
  # The scan must be able to fail: plant one secret in a log line and expect it found.
  printf 'refreshed with %s ok\n' "$(sed -n 1p "$TENANTRY_SECRET_LEDGER")" >"$LEDGER_DIR/planted.log"
  if scan "$LEDGER_DIR/planted.log" >/dev/null 2>&1; then
    echo "scan-secrets did not find a planted secret" >&2
    exit 1
  fi
  # The kept test data has been scanned; the install test below needs its room.
  find "$TEST_HOME" -mindepth 1 -maxdepth 1 ! -name tmp -exec rm -rf {} +
  find "$TMPDIR" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
  echo "test.sh: $(df -Pm . | awk 'NR == 2 {print $4}') MiB free for the packages" >&2
fi

# The installer on a clean machine: package the debug build setup.sh made (the same bundler
# configuration as a release), install the .deb with apt into a clean Debian root and use it there;
# read the .rpm with rpm (scripts/lib/install-test.sh).
if [ $# -eq 0 ]; then
  echo "==> the packages: the .deb on a clean Debian root, the .rpm read with rpm" >&2
  packages="$(./scripts/package.sh --debug --no-setup)"
  deb="$(grep '\.deb$' <<<"$packages")" rpm="$(grep '\.rpm$' <<<"$packages")"
  AS_ROOT=()
  [ "$(id -u)" -eq 0 ] || AS_ROOT=(sudo)
  "${AS_ROOT[@]}" scripts/lib/install-test.sh "$deb" "$rpm"
fi
