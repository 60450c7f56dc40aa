#!/usr/bin/env bash
# Starts Tenantry's desktop app. With no Xero app configured it starts the built-in fake Xero and a
# demo profile, so you see logins, organisations and refreshes at once; nothing leaves this computer.
# Arguments are passed to the app (e.g. --profile NAME, --demo).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  cat >&2 <<'MSG'
There is no display here, so the desktop window cannot open. Either run this on a desktop, or try
the command line instead (after setup, the binary is target/debug/tenantry):
  target/debug/tenantry demo                      # in one terminal: the fake Xero and a demo profile
  target/debug/tenantry --profile demo connect    # in another, then: status, orgs, token …
or watch the engine work end to end without a window:
  cargo run -p tenantry-demo --example tour
MSG
  exit 1
fi

args=("$@")
if [ ${#args[@]} -eq 0 ] && target/debug/tenantry config show 2>/dev/null | grep -q '^client_id = ""'; then
  echo "No Xero app is configured yet: starting the demo (built-in fake Xero). Settings → Client ID connects a real one." >&2
  args=(--demo)
fi

has_secret_service() {
  [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || return 1
  local names
  names=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.ListActivatableNames 2>/dev/null; dbus-send --session --print-reply \
    --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.ListNames 2>/dev/null) || return 1
  grep -q '"org.freedesktop.secrets"' <<<"$names"
}

if has_secret_service; then
  exec target/debug/tenantry-desktop "${args[@]}"
else
  echo "No desktop keychain is running here; using a private one for this session (tokens last until the app closes)." >&2
  exec dbus-run-session -- scripts/lib/with-private-keyring.sh target/debug/tenantry-desktop "${args[@]}"
fi
