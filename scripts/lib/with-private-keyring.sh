#!/usr/bin/env bash
# Runs a command with a private, unlocked gnome-keyring as the Secret Service, then stops it.
# Must run inside a D-Bus session of its own (dbus-run-session), so the user's keyring is never
# touched. Usage: with-private-keyring.sh COMMAND [ARGS...]
set -euo pipefail

KEYRING_DATA="$(mktemp -d -t tenantry-keyring.XXXXXX)"
PASSWORD="tenantry-private"
# --foreground keeps the daemon our child, so we stop exactly the one we started. Its keyring file
# lives in a throwaway directory (XDG_DATA_HOME for the daemon only).
printf %s "$PASSWORD" | XDG_DATA_HOME="$KEYRING_DATA" \
  gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
KEYRING_PID=$!
cleanup() {
  kill "$KEYRING_PID" 2>/dev/null || true
  wait "$KEYRING_PID" 2>/dev/null || true
  # Any daemon D-Bus started again after the first ended (below).
  if [ -f "$KEYRING_DATA/restarted" ]; then
    while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$KEYRING_DATA/restarted"
  fi
  rm -rf "$KEYRING_DATA" "${SERVICE:-}"
}
trap cleanup EXIT

# gnome-keyring 42 can abort under a burst of clients opening sessions at once (an upstream race:
# a NULL client record in gkd_secret_service_get_pkcs11_session; the suite saw it once, as
# SIGTRAP). D-Bus would then start the system's gnome-keyring for the next caller, locked, and
# every later test would fail on the keychain. So the session bus starts this one instead: the
# same keyring file, unlocked with the same password, saying so on stderr. The bus reads
# services from its XDG_DATA_HOME first (scripts/test.sh sets it to the run's own).
if [ -n "${XDG_DATA_HOME:-}" ]; then
  services="$XDG_DATA_HOME/dbus-1/services"
  mkdir -p "$services"
  SERVICE="$services/org.freedesktop.secrets.service"
  restart="$KEYRING_DATA/restart.sh"
  cat >"$restart" <<SCRIPT
#!/bin/sh
echo "with-private-keyring: the private gnome-keyring ended; D-Bus started it again, unlocked, on the same keyring" >&2
echo \$\$ >>"$KEYRING_DATA/restarted"
XDG_DATA_HOME="$KEYRING_DATA" exec gnome-keyring-daemon --foreground --unlock --components=secrets <"$KEYRING_DATA/password"
SCRIPT
  printf %s "$PASSWORD" >"$KEYRING_DATA/password"
  chmod +x "$restart"
  printf '[D-BUS Service]\nName=org.freedesktop.secrets\nExec=%s\n' "$restart" >"$SERVICE"
  dbus-send --session --type=method_call --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.ReloadConfig 2>/dev/null || true
fi

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
