#!/usr/bin/env bash
# Runs Tenantry's whole suite: formatting, lints, and every test, with the real services the tests
# need (a private D-Bus session with an unlocked gnome-keyring), stopping them afterwards.
# Usage: scripts/test.sh [extra arguments for cargo test]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

# A throwaway HOME keeps the test keyring, WebKit data and any config out of the user's own.
# rustup and cargo find themselves through these, not through HOME.
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
TEST_HOME="$(mktemp -d -t tenantry-test-home.XXXXXX)"
trap 'rm -rf "$TEST_HOME"' EXIT
export HOME="$TEST_HOME"
export XDG_CONFIG_HOME="$TEST_HOME/.config" XDG_DATA_HOME="$TEST_HOME/.local/share" XDG_CACHE_HOME="$TEST_HOME/.cache"
# The tests must not silently skip the keychain: a missing Secret Service fails them.
export TENANTRY_REQUIRE_KEYRING=1

exec dbus-run-session -- scripts/lib/with-private-keyring.sh scripts/lib/with-desktop.sh scripts/lib/checks.sh "$@"
