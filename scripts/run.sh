#!/usr/bin/env bash
# Starts Tenantry. Until the desktop app lands, this runs the engine end to end against the
# built-in fake Xero: two logins sign in through the browser flow, their organisations are listed,
# tokens are handed out and refreshed (one refresh for many callers), and the status is shown.
# No Xero app or account is needed; nothing is sent anywhere but this computer.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

has_secret_service() {
  [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || return 1
  local names
  names=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.ListActivatableNames 2>/dev/null; dbus-send --session --print-reply \
    --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.ListNames 2>/dev/null) || return 1
  grep -q '"org.freedesktop.secrets"' <<<"$names"
}

if has_secret_service; then
  exec ./target/debug/tenantry-demo "$@"
else
  echo "No desktop keychain is running here; using a private one for this demo." >&2
  exec dbus-run-session -- scripts/lib/with-private-keyring.sh ./target/debug/tenantry-demo "$@"
fi
