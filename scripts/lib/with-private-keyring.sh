#!/usr/bin/env bash
# Runs a command with a private, unlocked gnome-keyring as the Secret Service, then stops it.
# Must run inside a D-Bus session of its own (dbus-run-session), so the user's keyring is never
# touched. Usage: with-private-keyring.sh COMMAND [ARGS...]
set -euo pipefail

KEYRING_DATA="$(mktemp -d -t tenantry-keyring.XXXXXX)"
# --foreground keeps the daemon our child, so we stop exactly the one we started. Its keyring file
# lives in a throwaway directory (XDG_DATA_HOME for the daemon only).
printf %s "tenantry-private" | XDG_DATA_HOME="$KEYRING_DATA" \
  gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
KEYRING_PID=$!
cleanup() {
  kill "$KEYRING_PID" 2>/dev/null || true
  wait "$KEYRING_PID" 2>/dev/null || true
  rm -rf "$KEYRING_DATA"
}
trap cleanup EXIT

# gnome-keyring returns before it owns the bus name, and a call made too early auto-activates a
# second, locked daemon. Wait until the name is owned (normally 0.1-0.2 s).
for _ in $(seq 100); do
  if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"; then
    break
  fi
  sleep 0.1
done

"$@"
